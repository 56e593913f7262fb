/*
 * sg_fcgi_conn.c -- one FastCGI exchange with a daemon group, the part the
 * responder role (sg_fcgi.c) and the authorizer role (sg_fcgi_auth.c)
 * share: its state, its records and PARAMS stream, and connecting to the
 * group's socket once one of its processes serves.
 */
#include "sg_fcgi_conn.h"
#include "sg_log.h"

#include "apr_strings.h"

#include "swiftgate.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* How long to wait between attempts to reach a daemon that is not
 * listening yet (starting or restarting): short, against connect-timeout. */
#define SG_DEFAULT_CONNECT_RETRY apr_time_from_msec(25)

/* ---- encoding ---- */

void sg_fcgi_conn_init(sg_fcgi_conn *f, request_rec *r, sg_group *g)
{
    memset(f, 0, sizeof(*f));
    f->r = r;
    f->g = g;
    f->fd = -1;
    f->started = apr_time_now();
    f->in = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    f->rbuf = apr_palloc(r->pool, SG_FCGI_CONN_READ_BUFFER);
    f->head = apr_palloc(r->pool, SG_MAX_RESPONSE_HEAD);
    sg_response_init(&f->out, r);
}

static void need(sg_fcgi_conn *f, apr_size_t more)
{
    apr_size_t live = f->pending_len - f->pending_off;

    if (f->pending_off > 0) {
        memmove(f->pending, f->pending + f->pending_off, live);
        f->pending_len = live;
        f->pending_off = 0;
    }
    if (f->pending_len + more > f->pending_cap) {
        apr_size_t cap = (f->pending_len + more) * 2;
        char *grown = apr_palloc(f->r->pool, cap);

        memcpy(grown, f->pending, f->pending_len);
        f->pending = grown;
        f->pending_cap = cap;
    }
}

void sg_fcgi_conn_put_record(sg_fcgi_conn *f, int type, const char *content,
                             apr_size_t len)
{
    unsigned char *h;

    need(f, SWIFTGATE_FCGI_HEADER_LEN + len);
    h = (unsigned char *)f->pending + f->pending_len;
    sg_proto_put_header(h, type, 1, len, 0);
    if (len) {
        memcpy(h + SWIFTGATE_FCGI_HEADER_LEN, content, len);
    }
    f->pending_len += SWIFTGATE_FCGI_HEADER_LEN + len;
}

/* BEGIN_REQUEST and the PARAMS stream, split into records: the group's
 * secret first, then env. */
void sg_fcgi_conn_put_params(sg_fcgi_conn *f, const sg_pairs *env, int role,
                             int flags)
{
    static const char secret_name[] = SWIFTGATE_PARAM_SECRET;
    const char *secret = f->g->secret ? f->g->secret : "";
    apr_size_t secret_len = strlen(secret);
    apr_size_t total, i, off = 0;
    unsigned char *stream, *p;
    unsigned char begin[8] = {
        0, (unsigned char)role, (unsigned char)flags, 0, 0, 0, 0, 0};

    total = SG_PROTO_PAIR_OVERHEAD + sizeof(secret_name) - 1 + secret_len;
    for (i = 0; i < env->count; i++) {
        total += SG_PROTO_PAIR_OVERHEAD + env->items[i].name_len
                 + env->items[i].value_len;
    }
    stream = p = apr_palloc(f->r->pool, total + 1);
    p += sg_proto_put_pair(p, secret_name, sizeof(secret_name) - 1,
                           f->g->secret, secret_len);
    for (i = 0; i < env->count; i++) {
        const swiftgate_pair *e = &env->items[i];

        /* A pair over 2 GiB has no encoding: it is left out. */
        p += sg_proto_put_pair(p, e->name, e->name_len, e->value, e->value_len);
    }
    total = (apr_size_t)(p - stream);
    sg_fcgi_conn_put_record(f, SWIFTGATE_FCGI_BEGIN_REQUEST, (char *)begin,
                            sizeof(begin));
    while (off < total) {
        apr_size_t n = total - off;

        n = n > SWIFTGATE_FCGI_MAX_CONTENT ? SWIFTGATE_FCGI_MAX_CONTENT : n;
        sg_fcgi_conn_put_record(f, SWIFTGATE_FCGI_PARAMS, (char *)stream + off,
                                n);
        off += n;
    }
    sg_fcgi_conn_put_record(f, SWIFTGATE_FCGI_PARAMS, NULL, 0);
}

/* ---- connecting ---- */

int sg_fcgi_conn_connect(sg_fcgi_conn *f)
{
    struct sockaddr_un sa;
    apr_time_t deadline = apr_time_now() + f->g->connect_timeout;
    int fd, err;

    /* The group's socket takes connections even while no process accepts
     * them (starting, or waiting to restart after failures): rather than
     * queue a request there, wait for a serving process, then give up. */
    if (!sg_group_wait_serving(f->g, deadline)) {
        sg_log_r(APLOG_ERR, 0, f->r, SG_LOGNO(00513),
                 "no process of daemon group '%s' was serving within "
                 "connect-timeout (%ld s): starting, or restarting after "
                 "failures (see the group's log lines)",
                 f->g->name, (long)apr_time_sec(f->g->connect_timeout));
        return HTTP_SERVICE_UNAVAILABLE;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    apr_cpystrn(sa.sun_path, f->g->socket_path, sizeof(sa.sun_path));
    for (;;) {
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            err = errno;
            break;
        }
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            f->fd = fd;
            return OK;
        }
        err = errno;
        close(fd);
        /* Refused or missing: no daemon yet; EAGAIN: its backlog is full. */
        if ((err != ECONNREFUSED && err != ENOENT && err != EAGAIN)
            || apr_time_now() >= deadline) {
            break;
        }
        apr_sleep(SG_DEFAULT_CONNECT_RETRY);
    }
    sg_log_r(APLOG_ERR, err, f->r, SG_LOGNO(00501),
             "daemon group '%s' did not accept a connection on %s within "
             "connect-timeout (%ld s)",
             f->g->name, f->g->socket_path,
             (long)apr_time_sec(f->g->connect_timeout));
    return HTTP_SERVICE_UNAVAILABLE;
}
