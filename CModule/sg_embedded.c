/*
 * sg_embedded.c -- embedded mode. The handler describes the request, calls
 * the library's swiftgate_handle on this thread, and implements the ABI's
 * callbacks over httpd's input and output filters: read the body on demand,
 * check and set the head, stream the body, enforce Content-Length.
 */
#include "sg_embedded.h"
#include "sg_cgi.h"
#include "sg_library.h"
#include "sg_log.h"
#include "sg_proto.h"
#include "sg_response.h"
#include "sg_scoreboard.h"

#include "apr_lib.h"
#include "apr_strings.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_thread_proc.h"
#include "util_filter.h"

#include <stdlib.h>

/* The most body bytes asked of the input filters per read: their own
 * buffers are this size, so a larger read would only be split again. */
#define SG_DEFAULT_READ_BLOCK 65536

/* Per-request state behind the callbacks. */
typedef struct sg_bridge {
    request_rec *r;
    apr_bucket_brigade *in;
    int in_eos;
    int read_status; /* HTTP status of a failed body read, or 0 */
    int head_sent;
    int client_fd; /* the client's socket, -1 when not its own */
    sg_out out;
} sg_bridge;

/* A failed body read the client caused by leaving, not a bad request: the
 * application is told SWIFTGATE_ERR_CLIENT and logs it as no error. */
static int64_t read_failure(sg_bridge *b, apr_status_t rv)
{
    if (b->r->connection->aborted || APR_STATUS_IS_ECONNABORTED(rv)
        || APR_STATUS_IS_ECONNRESET(rv) || APR_STATUS_IS_EOF(rv)) {
        return SWIFTGATE_ERR_CLIENT;
    }
    return SWIFTGATE_ERR_READ;
}

/* Asked by the library while the request's task waits: a client that
 * closed its connection gets its task cancelled. */
static int32_t cb_client_gone(void *ctx)
{
    sg_bridge *b = ctx;

    return sg_response_client_closed(b->client_fd);
}

static int64_t cb_read_body(void *ctx, uint8_t *buf, uint64_t cap)
{
    sg_bridge *b = ctx;
    apr_size_t copied = 0;
    apr_status_t rv;

    if (b->in_eos || cap == 0) {
        return 0;
    }
    while (copied == 0 && !b->in_eos) {
        if (APR_BRIGADE_EMPTY(b->in)) {
            rv = ap_get_brigade(
                b->r->input_filters, b->in, AP_MODE_READBYTES, APR_BLOCK_READ,
                cap < SG_DEFAULT_READ_BLOCK ? (apr_off_t)cap
                                            : SG_DEFAULT_READ_BLOCK);
            if (rv != APR_SUCCESS) {
                b->read_status =
                    ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
                sg_log_r(APLOG_INFO, rv, b->r, SG_LOGNO(00301),
                         "reading the request body failed (status %d)",
                         b->read_status);
                return read_failure(b, rv);
            }
        }
        while (!APR_BRIGADE_EMPTY(b->in) && copied < cap) {
            apr_bucket *e = APR_BRIGADE_FIRST(b->in);
            const char *data;
            apr_size_t len;

            if (APR_BUCKET_IS_EOS(e)) {
                b->in_eos = 1;
                apr_brigade_cleanup(b->in);
                break;
            }
            if (APR_BUCKET_IS_METADATA(e)) {
                apr_bucket_delete(e);
                continue;
            }
            rv = apr_bucket_read(e, &data, &len, APR_BLOCK_READ);
            if (rv != APR_SUCCESS) {
                b->read_status = HTTP_BAD_REQUEST;
                sg_log_r(APLOG_INFO, rv, b->r, SG_LOGNO(00302),
                         "reading the request body failed");
                return read_failure(b, rv);
            }
            if (len > cap - copied) {
                apr_bucket_split(e, cap - copied);
                len = cap - copied;
            }
            memcpy(buf + copied, data, len);
            copied += len;
            apr_bucket_delete(e);
        }
    }
    return (int64_t)copied;
}

static int32_t cb_send_head(void *ctx, int32_t status,
                            const swiftgate_pair *fields, uint64_t count)
{
    sg_bridge *b = ctx;
    request_rec *r = b->r;
    uint64_t i, size = 0;
    int rc;

    if (b->head_sent) {
        return SWIFTGATE_ERR_STATE;
    }
    if (status < 200 || status > 599) {
        sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00305),
                 "application sent invalid status %d", (int)status);
        return SWIFTGATE_ERR_HEADER;
    }
    /* Check every field before applying any. */
    for (i = 0; i < count; i++) {
        if (!sg_proto_token_valid(fields[i].name, fields[i].name_len)
            || !sg_proto_value_valid(fields[i].value, fields[i].value_len)) {
            sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00306),
                     "refused response field '%s' from the application: "
                     "its name or value holds a forbidden byte "
                     "(CR, LF, NUL or another control character)",
                     ap_escape_logitem(r->pool,
                                       apr_pstrmemdup(r->pool, fields[i].name,
                                                      fields[i].name_len)));
            return SWIFTGATE_ERR_HEADER;
        }
        size += fields[i].name_len + fields[i].value_len + 4;
    }
    if (size > SG_MAX_RESPONSE_HEAD) {
        sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00313),
                 "refused a response head of %" APR_UINT64_T_FMT
                 " bytes from the application: the limit is %d",
                 size, SG_MAX_RESPONSE_HEAD);
        return SWIFTGATE_ERR_HEADER;
    }
    r->status = status;
    for (i = 0; i < count; i++) {
        rc = sg_response_apply_field(
            &b->out,
            apr_pstrmemdup(r->pool, fields[i].name, fields[i].name_len),
            apr_pstrmemdup(r->pool, fields[i].value, fields[i].value_len));
        if (rc != SWIFTGATE_OK) {
            apr_table_clear(r->headers_out);
            return rc;
        }
    }
    b->head_sent = 1;
    return SWIFTGATE_OK;
}

static int32_t cb_write_body(void *ctx, const uint8_t *data, uint64_t len,
                             int32_t flush)
{
    sg_bridge *b = ctx;

    if (!b->head_sent) {
        return SWIFTGATE_ERR_STATE;
    }
    return sg_response_write(&b->out, (const char *)data, (apr_size_t)len,
                             flush);
}

static void cb_log(void *ctx, int32_t level, const char *msg, uint64_t len)
{
    sg_bridge *b = ctx;

    if (level < APLOG_EMERG || level > APLOG_DEBUG) {
        level = APLOG_ERR;
    }
    sg_log_r(level, 0, b->r, "", "%.*s", (int)len, msg);
}

/* The instance serving a request: the alias's own when the directory asks
 * for the same callable and group (the usual case), else the table's. The
 * comparison is of the configuration's own strings, so it is by pointer: a
 * directory naming the alias's callable again just takes the table path. */
static sg_instance *embedded_instance(request_rec *r, const sg_alias *a,
                                      const sg_dir_conf *d)
{
    const char *callable = sg_config_callable(a, d);
    const char *group = sg_config_app_group(a, d);

    if (a->instance && callable == a->instance_callable
        && group == a->instance_group) {
        return a->instance;
    }
    return sg_library_instance(r->pool, r->server, a->library, callable, group);
}

int sg_embedded_handle(request_rec *r, const sg_alias *a, const sg_dir_conf *d)
{
    sg_instance *in;
    sg_runinfo info;
    sg_pairs environ, headers;
    swiftgate_request req;
    sg_bridge b;
    int pass_auth = d->pass_authorization == 1;
    void *board;
    int32_t rc;

    in = embedded_instance(r, a, d);
    if (in->error) {
        sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00312), "cannot serve %s: %s",
                 r->uri, in->error);
        return HTTP_INTERNAL_SERVER_ERROR;
    }

    memset(&info, 0, sizeof(info));
    info.process_group = "";
    info.application_group = in->app_group;
    info.callable = in->callable;
    info.multithread = sg_cgi_multithread;
    info.multiprocess = sg_cgi_multiprocess;
    info.request_id =
        sg_cgi_request_id(r, sg_config_global()->request_id_header);
    info.slow_request = a->slow_request;
    environ = sg_cgi_environ(r, &info, &d->proxy, pass_auth);
    headers = sg_cgi_headers(r, &d->proxy, pass_auth);

    memset(&b, 0, sizeof(b));
    b.r = r;
    b.in = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    b.client_fd = sg_response_client_fd(r->connection);
    sg_response_init(&b.out, r);

    memset(&req, 0, sizeof(req));
    req.struct_size = sizeof(req);
    req.flags = r->header_only ? SWIFTGATE_REQ_HEAD_ONLY : 0;
    req.environ = environ.items;
    req.environ_count = environ.count;
    req.headers = headers.items;
    req.header_count = headers.count;
    req.ctx = &b;
    req.read_body = cb_read_body;
    req.send_head = cb_send_head;
    req.write_body = cb_write_body;
    req.log = cb_log;
    req.client_gone = b.client_fd >= 0 ? cb_client_gone : NULL;

    board = sg_scoreboard_embedded_begin(
        r, info.request_id, (apr_uint32_t)apr_time_as_msec(a->slow_request));
    rc = in->library->handle_request(in->app, &req);
    rc = sg_response_finish(&b.out, rc != SWIFTGATE_OK,
                            b.read_status ? b.read_status
                            : rc >= 400 && rc <= 599
                                ? rc
                                : HTTP_INTERNAL_SERVER_ERROR);
    sg_scoreboard_embedded_end(board, rc == OK ? r->status : rc, r->read_length,
                               b.out.written);
    if (a->slow_request
        && apr_time_now() - r->request_time >= a->slow_request) {
        sg_log_r(APLOG_WARNING, 0, r, SG_LOGNO(00315),
                 "slow request ended: \"%s\" from %s (request id %s) after "
                 "%.1f s with status %d",
                 r->the_request, r->useragent_ip, info.request_id,
                 (double)(apr_time_now() - r->request_time) / APR_USEC_PER_SEC,
                 rc == OK ? r->status : rc);
    }
    if (!b.read_status) {
        ap_discard_request_body(r);
    }
    return rc;
}

/* How often a child looks for embedded requests past slow-request. */
#define SG_SLOW_WATCH apr_time_from_msec(500)

/* The watcher of a child with slow-request on an embedded mount: a
 * request on one of its threads gets one line when it passes the limit.
 * It only reads the child's scoreboard slot; what it logged it remembers
 * itself (the start time of each entry's request). */
static void *APR_THREAD_FUNC watch_slow(apr_thread_t *thread, void *data)
{
    server_rec *s = data;
    const sg_sb_process *me = sg_scoreboard_self();
    int entries = sg_scoreboard_entries(-1), i;
    apr_int64_t *logged = calloc((apr_size_t)entries, sizeof(*logged));

    while (logged) {
        apr_sleep(SG_SLOW_WATCH);
        for (i = 0; i < entries; i++) {
            sg_sb_request e;
            apr_interval_time_t age;

            if (!sg_scoreboard_request_copy(me, i, &e) || !e.slow_ms
                || logged[i] == e.started) {
                continue;
            }
            age = apr_time_now() - e.started;
            if (age >= apr_time_from_msec(e.slow_ms)) {
                logged[i] = e.started;
                sg_log_s(APLOG_WARNING, 0, s, SG_LOGNO(00314),
                         "slow request: embedded, thread %d: \"%s %s\" from "
                         "%s (request id %s) has run %.1f s, past "
                         "slow-request (%u s)",
                         i, e.method, e.uri, e.client, e.id,
                         (double)age / APR_USEC_PER_SEC, e.slow_ms / 1000);
            }
        }
    }
    return NULL;
}

void sg_embedded_child_init(apr_pool_t *p, server_rec *main_server)
{
    server_rec *s = main_server;
    sg_alias *a;
    int i = -1, watch = 0;

    if (sg_config_global()->restrict_embedded) {
        return; /* this child never loads Swift */
    }
    /* check_config made sure at most one settings file is named. */
    while ((a = sg_config_next_alias(&s, &i))) {
        if (a->settings) {
            setenv("SWIFTGATE_SETTINGS", a->settings, 1);
        }
    }
    s = main_server;
    i = -1;
    while ((a = sg_config_next_alias(&s, &i))) {
        if (a->process_group && *a->process_group) {
            continue; /* served by a daemon group */
        }
        /* This child's copy of the configuration: written here, before any
         * worker thread runs, and only read afterwards. */
        a->instance_callable = sg_config_callable(a, NULL);
        a->instance_group = sg_config_app_group(a, NULL);
        a->instance = sg_library_instance(
            p, s, a->library, a->instance_callable, a->instance_group);
        watch |= a->slow_request > 0;
    }
    if (watch && sg_scoreboard_self()) {
        apr_thread_t *thread;
        apr_threadattr_t *attr;

        apr_threadattr_create(&attr, p);
        apr_threadattr_detach_set(attr, 1);
        apr_thread_create(&thread, attr, watch_slow, main_server, p);
    }
}
