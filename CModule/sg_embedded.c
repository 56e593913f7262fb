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

#include "apr_lib.h"
#include "apr_strings.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#include <stdlib.h>

/* The most body bytes asked of the input filters per read: their own
 * buffers are this size, so a larger read would only be split again. */
#define SG_DEFAULT_READ_BLOCK 65536

/* Per-request state behind the callbacks. */
typedef struct sg_bridge {
    request_rec *r;
    apr_bucket_brigade *in;
    apr_bucket_brigade *out;
    int in_eos;
    int read_status; /* HTTP status of a failed body read, or 0 */
    int head_sent;
    int passed; /* something went to the output filters */
    int client_gone;
    apr_off_t declared; /* Content-Length, or -1 */
    apr_off_t written;
} sg_bridge;

/* Hop-by-hop fields are the server's business, not the application's. */
static int is_hop_by_hop(const char *name)
{
    static const char *const names[] = {
        "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding",
        "TE",         "Trailer",    "Upgrade",          NULL};
    int i;

    for (i = 0; names[i]; i++) {
        if (!strcasecmp(name, names[i])) {
            return 1;
        }
    }
    return 0;
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
                return SWIFTGATE_ERR_READ;
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
                return SWIFTGATE_ERR_READ;
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

/* Applies one checked response field to r. */
static int apply_field(sg_bridge *b, const char *name, const char *value)
{
    request_rec *r = b->r;

    if (!strcasecmp(name, "Content-Type")) {
        ap_set_content_type(r, value);
    }
    else if (!strcasecmp(name, "Content-Length")) {
        apr_off_t len;
        char *end;

        if (!apr_isdigit(*value) || apr_strtoff(&len, value, &end, 10) || *end
            || len < 0) {
            sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00303),
                     "application sent an invalid Content-Length '%s'", value);
            return SWIFTGATE_ERR_HEADER;
        }
        b->declared = len;
        ap_set_content_length(r, len);
    }
    else if (is_hop_by_hop(name)) {
        sg_log_r(APLOG_WARNING, 0, r, SG_LOGNO(00304),
                 "dropped hop-by-hop response field '%s' set by the "
                 "application",
                 name);
    }
    else {
        apr_table_add(r->headers_out, name, value);
    }
    return SWIFTGATE_OK;
}

static int32_t cb_send_head(void *ctx, int32_t status,
                            const swiftgate_pair *fields, uint64_t count)
{
    sg_bridge *b = ctx;
    request_rec *r = b->r;
    uint64_t i;
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
        if (!sg_field_name_valid(fields[i].name, fields[i].name_len)
            || !sg_field_value_valid(fields[i].value, fields[i].value_len)) {
            sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00306),
                     "refused response field '%s' from the application: "
                     "its name or value holds a forbidden byte "
                     "(CR, LF, NUL or another control character)",
                     ap_escape_logitem(r->pool,
                                       apr_pstrmemdup(r->pool, fields[i].name,
                                                      fields[i].name_len)));
            return SWIFTGATE_ERR_HEADER;
        }
    }
    r->status = status;
    for (i = 0; i < count; i++) {
        rc = apply_field(
            b, apr_pstrmemdup(r->pool, fields[i].name, fields[i].name_len),
            apr_pstrmemdup(r->pool, fields[i].value, fields[i].value_len));
        if (rc != SWIFTGATE_OK) {
            apr_table_clear(r->headers_out);
            return rc;
        }
    }
    b->head_sent = 1;
    return SWIFTGATE_OK;
}

/* apr_brigade_write's flush function: passes the buffered bytes on. */
static apr_status_t pass_out(apr_bucket_brigade *bb, void *ctx)
{
    sg_bridge *b = ctx;
    apr_status_t rv;

    b->passed = 1;
    rv = ap_pass_brigade(b->r->output_filters, bb);
    apr_brigade_cleanup(bb);
    return rv;
}

static int32_t cb_write_body(void *ctx, const uint8_t *data, uint64_t len,
                             int32_t flush)
{
    sg_bridge *b = ctx;
    request_rec *r = b->r;
    apr_status_t rv = APR_SUCCESS;
    int32_t result = SWIFTGATE_OK;

    if (!b->head_sent) {
        return SWIFTGATE_ERR_STATE;
    }
    if (b->client_gone) {
        return SWIFTGATE_ERR_CLIENT;
    }
    if (b->declared >= 0 && b->written + (apr_off_t)len > b->declared) {
        sg_log_r(
            APLOG_ERR, 0, r, SG_LOGNO(00307),
            "application wrote more than its Content-Length of %" APR_OFF_T_FMT
            " bytes; response cut short",
            b->declared);
        len = (uint64_t)(b->declared - b->written);
        result = SWIFTGATE_ERR_LENGTH;
    }
    if (len > 0) {
        b->written += len;
        rv = apr_brigade_write(b->out, pass_out, b, (const char *)data, len);
    }
    if (rv == APR_SUCCESS && flush) {
        APR_BRIGADE_INSERT_TAIL(
            b->out, apr_bucket_flush_create(r->connection->bucket_alloc));
        rv = pass_out(b->out, b);
    }
    if (rv != APR_SUCCESS) {
        b->client_gone = 1;
        sg_log_r(APLOG_DEBUG, rv, r, SG_LOGNO(00308),
                 "writing the response failed (client gone?)");
        return SWIFTGATE_ERR_CLIENT;
    }
    return result;
}

static void cb_log(void *ctx, int32_t level, const char *msg, uint64_t len)
{
    sg_bridge *b = ctx;

    if (level < APLOG_EMERG || level > APLOG_DEBUG) {
        level = APLOG_ERR;
    }
    sg_log_r(level, 0, b->r, "", "%.*s", (int)len, msg);
}

/* Ends a response whose head went out but whose body is incomplete: the
 * error bucket makes httpd close the connection without a final chunk, so
 * the client sees the cut instead of waiting. */
static void abort_response(sg_bridge *b)
{
    conn_rec *c = b->r->connection;

    /* What is buffered was valid: it goes out before the error. */
    APR_BRIGADE_INSERT_TAIL(b->out, ap_bucket_error_create(HTTP_BAD_GATEWAY,
                                                           NULL, b->r->pool,
                                                           c->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(b->out, apr_bucket_eos_create(c->bucket_alloc));
    ap_pass_brigade(b->r->output_filters, b->out);
    c->keepalive = AP_CONN_CLOSE;
}

/* Decides the request's outcome once the application returned rc. */
static int finish(sg_bridge *b, int32_t rc)
{
    request_rec *r = b->r;
    int short_body = rc == SWIFTGATE_OK && b->declared >= 0
                     && b->written < b->declared && !r->header_only;

    if (short_body) {
        sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00310),
                 "application declared Content-Length %" APR_OFF_T_FMT
                 " but sent %" APR_OFF_T_FMT " bytes",
                 b->declared, b->written);
    }
    if ((rc != SWIFTGATE_OK || short_body) && !b->passed) {
        /* Nothing left the server: answer with an error page instead. */
        apr_brigade_cleanup(b->out);
        apr_table_clear(r->headers_out);
        r->content_type = NULL;
        r->clength = 0;
        if (b->read_status) {
            return b->read_status;
        }
        return rc >= 400 && rc <= 599 ? rc : HTTP_INTERNAL_SERVER_ERROR;
    }
    if (rc != SWIFTGATE_OK || short_body) {
        sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00309),
                 "response cut short after %" APR_OFF_T_FMT " body bytes; "
                 "closing the connection",
                 b->written);
        abort_response(b);
        return OK;
    }
    if (b->client_gone) {
        return OK;
    }
    APR_BRIGADE_INSERT_TAIL(b->out,
                            apr_bucket_eos_create(r->connection->bucket_alloc));
    if (pass_out(b->out, b) != APR_SUCCESS) {
        sg_log_r(APLOG_DEBUG, 0, r, SG_LOGNO(00311),
                 "client went away before the response ended");
    }
    return OK;
}

int sg_embedded_handle(request_rec *r, const sg_alias *a, const sg_dir_conf *d)
{
    sg_instance *in;
    sg_runinfo info;
    sg_pairs environ, headers;
    swiftgate_request req;
    sg_bridge b;
    int pass_auth = d->pass_authorization == 1;
    int32_t rc;

    in = sg_library_instance(r->pool, r->server, a->library,
                             sg_effective_callable(a, d),
                             sg_effective_app_group(a, d));
    if (in->error) {
        sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00312), "cannot serve %s: %s",
                 r->uri, in->error);
        return HTTP_INTERNAL_SERVER_ERROR;
    }

    memset(&info, 0, sizeof(info));
    info.process_group = "";
    info.application_group = in->app_group;
    info.callable = in->callable;
    sg_mpm_shape(&info.multithread, &info.multiprocess);
    environ = sg_cgi_environ(r, &info, pass_auth);
    headers = sg_cgi_headers(r, pass_auth);

    memset(&b, 0, sizeof(b));
    b.r = r;
    b.in = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    b.out = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    b.declared = -1;

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

    rc = in->library->handle_request(in->app, &req);
    rc = finish(&b, rc);
    if (!b.read_status) {
        ap_discard_request_body(r);
    }
    return rc;
}

void sg_embedded_child_init(apr_pool_t *p, server_rec *main_server)
{
    server_rec *s;
    int i;

    /* check_config made sure at most one settings file is named. */
    for (s = main_server; s; s = s->next) {
        sg_server_conf *conf =
            ap_get_module_config(s->module_config, &swiftgate_module);
        const sg_alias *a = (const sg_alias *)conf->aliases->elts;
        for (i = 0; i < conf->aliases->nelts; i++) {
            if (a[i].settings) {
                setenv("SWIFTGATE_SETTINGS", a[i].settings, 1);
            }
        }
    }
    for (s = main_server; s; s = s->next) {
        sg_server_conf *conf =
            ap_get_module_config(s->module_config, &swiftgate_module);
        const sg_alias *a = (const sg_alias *)conf->aliases->elts;
        for (i = 0; i < conf->aliases->nelts; i++) {
            sg_library_instance(p, s, a[i].library,
                                sg_effective_callable(&a[i], NULL),
                                sg_effective_app_group(&a[i], NULL));
        }
    }
}
