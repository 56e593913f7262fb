/*
 * sg_fcgi.c -- daemon mode on the Apache side. The request's environ goes to
 * the group's socket as FastCGI PARAMS, the client's body as STDIN while the
 * daemon's STDOUT streams back (both at once, so a daemon echoing a large
 * body never waits on us), and the CGI-style response head is read with
 * httpd's own script header scanner. The encoding and the connecting are
 * sg_fcgi_conn.c's, which the authorizer role (sg_fcgi_auth.c) shares.
 */
#include "sg_fcgi.h"
#include "sg_fcgi_conn.h"
#include "sg_cgi.h"
#include "sg_crash.h"
#include "sg_scoreboard.h"
#include "sg_log.h"
#include "sg_proto.h"
#include "sg_response.h"

#include "apr_strings.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_script.h"

#include "swiftgate.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Client body bytes read per STDIN record: FastCGI's largest record. */
#define SG_FCGI_CHUNK SWIFTGATE_FCGI_MAX_CONTENT
/* exchange(): a reused connection was closed before it took the request. */
#define SG_FCGI_RETRY (-2)
/* exchange(): the client closed its connection while the daemon worked. */
#define SG_FCGI_CLIENT_GONE (-3)
/* Daemon connections one thread keeps open between requests. */
#define SG_FCGI_KEPT 8
/* How long after request-timeout Apache gives up on the daemon itself: the
 * daemon cancels the request's task at request-timeout and answers 504 on
 * its own (checking every 200 ms); this is the backstop for a daemon that
 * cannot. */
#define SG_DEFAULT_TIMEOUT_SLACK apr_time_from_msec(500)

/* A connection kept open between requests, by socket path. A thread serves
 * one request at a time, so its own connections need no lock; a process's
 * threads end with it, and their connections with them. */
typedef struct sg_kept {
    int fd; /* -1 or 0 when empty (0 is never a socket here: stdin) */
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
} sg_kept;

static __thread sg_kept kept_conns[SG_FCGI_KEPT];

static int readable_now(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};

    return poll(&p, 1, 0) > 0;
}

/* GET, HEAD and OPTIONS: methods without side effects (RFC 9110 9.2.1). */
static int safe_method(const request_rec *r)
{
    return r->method_number == M_GET || r->method_number == M_OPTIONS;
}

/* A connection this thread kept to the group's socket, or -1. One the
 * daemon has closed meanwhile is found out by the exchange, which then
 * sends the request again on a new one. */
static int kept_take(const sg_group *g)
{
    int i, fd;

    for (i = 0; i < SG_FCGI_KEPT; i++) {
        if (kept_conns[i].fd > 0
            && !strcmp(kept_conns[i].path, g->socket_path)) {
            fd = kept_conns[i].fd;
            kept_conns[i].fd = -1;
            return fd;
        }
    }
    return -1;
}

/* Keeps fd for the group's next request on this thread. */
static void kept_put(const sg_group *g, int fd)
{
    int i, slot = 0;

    for (i = 0; i < SG_FCGI_KEPT; i++) {
        if (kept_conns[i].fd <= 0) {
            slot = i;
            break;
        }
    }
    if (kept_conns[slot].fd > 0) {
        close(kept_conns[slot].fd);
    }
    kept_conns[slot].fd = fd;
    apr_cpystrn(kept_conns[slot].path, g->socket_path,
                sizeof(kept_conns[slot].path));
}

/* ---- the exchange ---- */

/* Reads the next piece of the client's body into a STDIN record. */
static int send_body_chunk(sg_fcgi_conn *f)
{
    apr_status_t rv;
    char buf[SG_FCGI_CHUNK];
    apr_size_t len = sizeof(buf);
    int eos = 0;

    rv = ap_get_brigade(f->r->input_filters, f->in, AP_MODE_READBYTES,
                        APR_BLOCK_READ, sizeof(buf));
    if (rv != APR_SUCCESS) {
        f->read_status = ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
        sg_log_r(APLOG_INFO, rv, f->r, SG_LOGNO(00502),
                 "reading the request body failed (status %d)", f->read_status);
        return SWIFTGATE_ERR_READ;
    }
    eos =
        !APR_BRIGADE_EMPTY(f->in) && APR_BUCKET_IS_EOS(APR_BRIGADE_LAST(f->in));
    rv = apr_brigade_flatten(f->in, buf, &len);
    apr_brigade_cleanup(f->in);
    if (rv != APR_SUCCESS) {
        f->read_status = HTTP_BAD_REQUEST;
        return SWIFTGATE_ERR_READ;
    }
    if (len > 0) {
        f->body_taken = 1;
        sg_fcgi_conn_put_record(f, SWIFTGATE_FCGI_STDIN, buf, len);
    }
    if (eos) {
        sg_fcgi_conn_put_record(f, SWIFTGATE_FCGI_STDIN, NULL, 0);
        f->body_sent = 1;
    }
    return SWIFTGATE_OK;
}

/* The head is complete: let httpd's scanner read it. */
static int take_head(sg_fcgi_conn *f, apr_size_t head_end)
{
    request_rec *r = f->r;
    apr_bucket_brigade *bb =
        apr_brigade_create(r->pool, r->connection->bucket_alloc);
    const char *error, *length;
    char malformed[MAX_STRING_LEN];
    int rc;

    APR_BRIGADE_INSERT_TAIL(
        bb, apr_bucket_transient_create(f->head, head_end,
                                        r->connection->bucket_alloc));
    malformed[0] = '\0';
    rc = ap_scan_script_header_err_brigade_ex(r, bb, malformed,
                                              APLOG_MODULE_INDEX);
    apr_brigade_destroy(bb);
    if (rc != OK) {
        sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00503),
                 "daemon group '%s' sent a malformed response head (%s)",
                 f->g->name, malformed);
        return HTTP_BAD_GATEWAY;
    }
    /* httpd's scanner files fields it does not know under err_headers_out:
     * the daemon's error field is looked for, and removed, in both. */
    if (!(error = apr_table_get(r->headers_out, SWIFTGATE_ERROR_FIELD))) {
        error = apr_table_get(r->err_headers_out, SWIFTGATE_ERROR_FIELD);
    }
    apr_table_unset(r->headers_out, SWIFTGATE_ERROR_FIELD);
    apr_table_unset(r->err_headers_out, SWIFTGATE_ERROR_FIELD);
    if (error) {
        f->error_status = atoi(error);
        if (f->error_status < 400 || f->error_status > 599) {
            f->error_status = HTTP_INTERNAL_SERVER_ERROR;
        }
        return f->error_status;
    }
    if ((length = apr_table_get(r->headers_out, "Content-Length"))) {
        apr_table_unset(r->headers_out, "Content-Length");
        if (sg_response_apply_field(&f->out, "Content-Length", length)
            != SWIFTGATE_OK) {
            return HTTP_BAD_GATEWAY;
        }
    }
    sg_response_drop_reserved(&f->out);
    f->head_done = 1;
    return OK;
}

/* STDOUT content: head bytes until the blank line, then body. */
static int take_stdout(sg_fcgi_conn *f, const char *data, apr_size_t len,
                       int flush)
{
    if (!f->head_done) {
        apr_size_t take = len, searched = f->head_len, end;
        int rc;

        if (f->head_len + take > SG_MAX_RESPONSE_HEAD) {
            sg_log_r(APLOG_ERR, 0, f->r, SG_LOGNO(00504),
                     "daemon group '%s' sent a response head over %d bytes",
                     f->g->name, SG_MAX_RESPONSE_HEAD);
            return HTTP_BAD_GATEWAY;
        }
        memcpy(f->head + f->head_len, data, take);
        f->head_len += take;
        if ((end = sg_proto_head_end(f->head, f->head_len, searched)) == 0) {
            return OK;
        }
        if ((rc = take_head(f, end)) != OK) {
            return rc;
        }
        if (end < f->head_len) {
            sg_response_write(&f->out, f->head + end, f->head_len - end, flush);
        }
        return OK;
    }
    if (sg_response_write(&f->out, data, len, flush) == SWIFTGATE_ERR_LENGTH) {
        return HTTP_BAD_GATEWAY;
    }
    return OK;
}

/* Parses the complete records in rbuf. */
/* Whether the received bytes already hold the request's END_REQUEST: then
 * nothing need be flushed early, the end of the response follows. */
static int end_received(const sg_fcgi_conn *f)
{
    apr_size_t off = 0;
    sg_proto_record rec;

    while (sg_proto_next_record((const unsigned char *)f->rbuf, f->rlen, &off,
                                &rec)
           == SG_PROTO_RECORD) {
        if (rec.type == SWIFTGATE_FCGI_END_REQUEST) {
            return 1;
        }
    }
    return 0;
}

static int take_records(sg_fcgi_conn *f, int flush)
{
    apr_size_t off = 0;
    sg_proto_record rec;
    int rc = OK, found;

    while (rc == OK
           && (found = sg_proto_next_record((const unsigned char *)f->rbuf,
                                            f->rlen, &off, &rec))
                  != SG_PROTO_PARTIAL) {
        const char *content = (const char *)rec.content;
        apr_size_t clen = rec.content_len;

        if (found == SG_PROTO_BAD_VERSION) {
            sg_log_r(APLOG_ERR, 0, f->r, SG_LOGNO(00505),
                     "daemon group '%s' broke the FastCGI protocol "
                     "(version %d)",
                     f->g->name, (unsigned char)f->rbuf[off]);
            return HTTP_BAD_GATEWAY;
        }
        switch (rec.type) {
            case SWIFTGATE_FCGI_STDOUT:
                rc = take_stdout(f, content, clen, flush);
                break;
            case SWIFTGATE_FCGI_STDERR:
                if (clen) {
                    sg_log_r(APLOG_WARNING, 0, f->r, SG_LOGNO(00506),
                             "daemon group '%s': %.*s", f->g->name, (int)clen,
                             content);
                }
                break;
            case SWIFTGATE_FCGI_END_REQUEST:
                if (clen >= 5) {
                    const unsigned char *b = (const unsigned char *)content;
                    f->app_status =
                        (int)(((unsigned)b[0] << 24) | ((unsigned)b[1] << 16)
                              | ((unsigned)b[2] << 8) | b[3]);
                }
                f->ended = 1;
                break;
            default:
                break; /* nothing else concerns a responder client */
        }
    }
    memmove(f->rbuf, f->rbuf + off, f->rlen - off);
    f->rlen -= off;
    return rc;
}

/* Writes what the socket takes of the pending bytes, without waiting: OK,
 * SG_FCGI_RETRY or a status. */
static int write_pending(sg_fcgi_conn *f)
{
    ssize_t n = write(f->fd, f->pending + f->pending_off,
                      f->pending_len - f->pending_off);

    if (n < 0 && errno != EAGAIN && errno != EINTR) {
        if (f->reused && !f->received && !f->body_taken) {
            return SG_FCGI_RETRY;
        }
        sg_log_r(APLOG_ERR, errno, f->r, SG_LOGNO(00509),
                 "daemon group '%s': writing the request failed", f->g->name);
        return HTTP_BAD_GATEWAY;
    }
    f->pending_off += n > 0 ? (apr_size_t)n : 0;
    return OK;
}

/* A slow request's line: which process and thread run it (the
 * scoreboard, by request id), what it is and how long it has run. */
static void log_slow(sg_fcgi_conn *f, int status)
{
    request_rec *r = f->r;
    const sg_group *all = (const sg_group *)sg_group_all()->elts;
    sg_sb_where where;
    sg_sb_request e;
    sg_sb_supervised sup;
    int entry = -1;
    long pid = 0;

    if (sg_scoreboard_find_request((int)(f->g - all), f->request_id, &where,
                                   &entry, &e)) {
        sg_scoreboard_supervised_copy(where.group, where.slot, &sup);
        pid = (long)sup.pid;
    }
    if (status < 0) {
        sg_log_r(APLOG_WARNING, 0, r, SG_LOGNO(00521),
                 "slow request: daemon group '%s' process %ld thread %d: "
                 "\"%s\" from %s (request id %s) has run %.1f s, past "
                 "slow-request (%ld s)",
                 f->g->name, pid, entry, r->the_request, r->useragent_ip,
                 f->request_id,
                 (double)(apr_time_now() - f->started) / APR_USEC_PER_SEC,
                 (long)apr_time_sec(f->slow));
    }
    else {
        sg_log_r(APLOG_WARNING, 0, r, SG_LOGNO(00522),
                 "slow request ended: daemon group '%s': \"%s\" from %s "
                 "(request id %s) after %.1f s with status %d",
                 f->g->name, r->the_request, r->useragent_ip, f->request_id,
                 (double)(apr_time_now() - f->started) / APR_USEC_PER_SEC,
                 status);
    }
}

/* Runs the exchange; OK when the daemon ended the request, else a status. */
static int exchange(sg_fcgi_conn *f)
{
    apr_interval_time_t socket_timeout =
        f->g->socket_timeout ? f->g->socket_timeout : f->r->server->timeout;
    /* Watched once the body is sent: a client that closes its connection
     * meanwhile gets its daemon connection closed, which cancels the
     * request's task in the daemon. */
    int client_fd = sg_response_client_fd(f->r->connection);
    int rc;

    while (!f->ended) {
        struct pollfd fds[2], *p = &fds[0];
        apr_interval_time_t wait = socket_timeout;
        int want_write, n;

        /* The socket usually has room: write before asking poll. */
        if (f->pending_off < f->pending_len && (rc = write_pending(f)) != OK) {
            return rc;
        }
        want_write = f->pending_off < f->pending_len || !f->body_sent;

        if (!f->head_done && f->g->request_timeout) {
            wait = f->started + f->g->request_timeout + SG_DEFAULT_TIMEOUT_SLACK
                   - apr_time_now();
            wait = wait < 0 ? 0 : wait;
        }
        if (f->slow && !f->slow_logged
            && f->started + f->slow - apr_time_now() < wait) {
            wait = f->started + f->slow - apr_time_now();
            wait = wait < 0 ? 0 : wait;
        }
        p->fd = f->fd;
        p->events = POLLIN | (want_write ? POLLOUT : 0);
        p->revents = 0;
        fds[1].fd = f->body_sent ? client_fd : -1;
        fds[1].events = POLLRDHUP;
        fds[1].revents = 0;
        n = poll(fds, 2, (int)apr_time_as_msec(wait) + 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n == 0 && f->slow && !f->slow_logged
            && apr_time_now() >= f->started + f->slow) {
            f->slow_logged = 1;
            log_slow(f, -1);
            continue;
        }
        if (n > 0 && fds[1].revents) {
            if (sg_response_client_closed(client_fd)) {
                sg_log_r(APLOG_INFO, 0, f->r, SG_LOGNO(00514),
                         "the client went away before daemon group '%s' "
                         "answered; closing the daemon connection (the "
                         "request's task is cancelled)",
                         f->g->name);
                f->r->connection->aborted = 1;
                return SG_FCGI_CLIENT_GONE;
            }
            client_fd = -1; /* half-closed, or pipelining: still there */
            continue;
        }
        if (n == 0) {
            int by_request = !f->head_done && f->g->request_timeout;

            sg_log_r(APLOG_ERR, 0, f->r, SG_LOGNO(00507),
                     "daemon group '%s' did not answer within %s (%ld s)",
                     f->g->name,
                     by_request ? "request-timeout" : "socket-timeout",
                     (long)apr_time_sec(by_request ? f->g->request_timeout
                                                   : socket_timeout));
            return HTTP_GATEWAY_TIME_OUT;
        }
        if (p->revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t got = read(f->fd, f->rbuf + f->rlen,
                               SG_FCGI_CONN_READ_BUFFER - f->rlen);
            if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
                continue;
            }
            if (got <= 0 && f->reused && !f->received && !f->body_taken) {
                /* The daemon closed a kept connection as the request went
                 * out (it recycled): nothing was lost, try a new one. */
                return SG_FCGI_RETRY;
            }
            if (got <= 0) {
                if (f->head_done) {
                    /* The daemon had committed to this response: what it
                     * sent goes out, then the cut. */
                    sg_response_write(&f->out, "", 0, 1);
                }
                if (sg_crash_report(f->r, f->g, f->request_id)) {
                    return HTTP_BAD_GATEWAY;
                }
                sg_log_r(APLOG_ERR, got < 0 ? errno : 0, f->r, SG_LOGNO(00508),
                         "daemon group '%s' closed the connection before "
                         "the response ended",
                         f->g->name);
                return f->g->request_timeout
                               && apr_time_now() - f->started
                                      >= f->g->request_timeout
                           ? HTTP_GATEWAY_TIME_OUT
                           : HTTP_BAD_GATEWAY;
            }
            f->rlen += (apr_size_t)got;
            f->received = 1;
            /* Flush what came when no more is on its way at once. */
            if ((rc = take_records(f, !end_received(f) && !readable_now(f->fd)))
                != OK) {
                return rc;
            }
            continue;
        }
        if (p->revents & POLLOUT) {
            if (f->pending_off == f->pending_len) {
                if (send_body_chunk(f) != SWIFTGATE_OK) {
                    return f->read_status;
                }
                continue;
            }
            if ((rc = write_pending(f)) != OK) {
                return rc;
            }
        }
    }
    if (!f->head_done) {
        sg_log_r(APLOG_ERR, 0, f->r, SG_LOGNO(00510),
                 "daemon group '%s' ended the request without a response "
                 "head",
                 f->g->name);
        return HTTP_BAD_GATEWAY;
    }
    return f->app_status == 0 ? OK : HTTP_BAD_GATEWAY;
}

int sg_fcgi_handle(request_rec *r, const sg_alias *a, const sg_dir_conf *d,
                   sg_group *g)
{
    sg_fcgi_conn f;
    sg_runinfo info;
    sg_pairs env, extended;
    char *request = NULL;
    apr_size_t request_len = 0;
    int rc, body_sent;

    sg_fcgi_conn_init(&f, r, g);

    memset(&info, 0, sizeof(info));
    info.process_group = g->name;
    info.application_group = sg_config_app_group(a, d);
    info.callable = sg_config_callable(a, d);
    info.multithread = g->threads > 1;
    info.multiprocess = g->processes > 1;
    info.request_id = f.request_id =
        sg_cgi_request_id(r, sg_config_global()->request_id_header);
    info.slow_request = f.slow =
        a->slow_request ? a->slow_request : g->slow_request;
    env = sg_cgi_environ(r, &info, &d->proxy, d->pass_authorization == 1);
    extended.items =
        apr_palloc(r->pool, sizeof(swiftgate_pair) * (env.count + 1));
    memcpy(extended.items, env.items, sizeof(swiftgate_pair) * env.count);
    extended.count = env.count;
    {
        swiftgate_pair *p = &extended.items[extended.count++];
        p->name = SWIFTGATE_PARAM_REQUEST_START;
        p->name_len = strlen(p->name);
        p->value = apr_psprintf(r->pool, "%" APR_TIME_T_FMT, r->request_time);
        p->value_len = strlen(p->value);
    }
    sg_fcgi_conn_put_params(&f, &extended, SWIFTGATE_FCGI_RESPONDER,
                            SWIFTGATE_FCGI_KEEP_CONN);
    if (!ap_request_has_body(r)) {
        /* No body to read: the empty STDIN goes out with the PARAMS. */
        sg_fcgi_conn_put_record(&f, SWIFTGATE_FCGI_STDIN, NULL, 0);
        f.body_sent = 1;
    }
    body_sent = f.body_sent;

    /* Only a request that may safely run twice goes over a kept connection:
     * if the daemon closes it without a word, the request is sent again on
     * a new one, and a daemon that died while running it cannot be told
     * from one that closed an idle connection. */
    f.fd = safe_method(r) ? kept_take(g) : -1;
    f.reused = f.fd >= 0;
    if (f.reused) {
        /* Kept for a retry on a new connection, should this one fail. */
        request = apr_pmemdup(r->pool, f.pending, f.pending_len);
        request_len = f.pending_len;
    }
    else if ((rc = sg_fcgi_conn_connect(&f)) != OK) {
        return rc;
    }
    rc = exchange(&f);
    if (rc == SG_FCGI_RETRY) {
        close(f.fd);
        memcpy(f.pending, request, request_len);
        f.pending_len = request_len;
        f.pending_off = 0;
        f.body_sent = body_sent;
        f.reused = 0;
        if ((rc = sg_fcgi_conn_connect(&f)) != OK) {
            return rc;
        }
        rc = exchange(&f);
    }
    /* A clean end with the whole body sent leaves the connection at a
     * record boundary: keep it for this thread's next request. */
    if (rc == OK && f.ended && f.body_sent && f.pending_off == f.pending_len
        && f.rlen == 0) {
        kept_put(g, f.fd);
    }
    else {
        close(f.fd);
    }
    if (f.slow_logged) {
        log_slow(&f, rc == OK ? r->status : rc);
    }
    if (rc == SG_FCGI_CLIENT_GONE) {
        if (!f.out.passed) {
            /* Nobody to answer; the access log shows 400. */
            return sg_response_finish(&f.out, 1, HTTP_BAD_REQUEST);
        }
        /* What reached the client stays as it is (often all of it: a
         * client may close once it has Content-Length bytes, before the
         * daemon's end record arrives); the client left, nothing failed. */
        r->connection->keepalive = AP_CONN_CLOSE;
        return OK;
    }
    if (f.error_status) {
        /* The daemon's own error answer: Apache's error document instead. */
        apr_table_clear(r->headers_out);
        r->content_type = NULL;
        return f.error_status;
    }
    rc = sg_response_finish(&f.out, rc != OK,
                            f.read_status ? f.read_status
                            : rc != OK    ? rc
                                          : HTTP_BAD_GATEWAY);
    if (!f.body_sent && !f.read_status) {
        ap_discard_request_body(r);
    }
    return rc;
}
