/*
 * sg_response.c -- streaming a response to httpd's output filters.
 */
#include "sg_response.h"
#include "sg_log.h"
#include "sg_proto.h"

#include "apr_lib.h"
#include "apr_strings.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#include "swiftgate.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

void sg_response_init(sg_out *o, request_rec *r)
{
    memset(o, 0, sizeof(*o));
    o->r = r;
    o->bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    o->declared = -1;
}

/* Fields an application may not set: hop-by-hop ones are the server's
 * business, and the daemon's error field is mod_swiftgate's own. */
static int is_reserved(const char *name)
{
    static const char *const names[] = {
        "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding",
        "TE",         "Trailer",    "Upgrade",          SWIFTGATE_ERROR_FIELD,
        NULL};
    int i;

    for (i = 0; names[i]; i++) {
        if (!strcasecmp(name, names[i])) {
            return 1;
        }
    }
    return 0;
}

int sg_response_apply_field(sg_out *o, const char *name, const char *value)
{
    request_rec *r = o->r;

    if (!strcasecmp(name, "Content-Type")) {
        ap_set_content_type(r, value);
    }
    else if (!strcasecmp(name, "Content-Length")) {
        int64_t len;

        if (!sg_proto_content_length(value, &len)) {
            sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00303),
                     "application sent an invalid Content-Length '%s'", value);
            return SWIFTGATE_ERR_HEADER;
        }
        o->declared = len;
        ap_set_content_length(r, len);
    }
    else if (is_reserved(name)) {
        sg_log_r(APLOG_WARNING, 0, r, SG_LOGNO(00304),
                 "dropped response field '%s' set by the application", name);
    }
    else {
        apr_table_add(r->headers_out, name, value);
    }
    return SWIFTGATE_OK;
}

/* Removes the fields an application may not set from one table. */
static void drop_reserved(request_rec *r, apr_table_t *t)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i;

    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key && is_reserved(e[i].key)) {
            sg_log_r(APLOG_WARNING, 0, r, SG_LOGNO(00304),
                     "dropped response field '%s' set by the application",
                     e[i].key);
            apr_table_unset(t, e[i].key);
            i = -1; /* the table changed: look again */
            arr = apr_table_elts(t);
            e = (const apr_table_entry_t *)arr->elts;
        }
    }
}

void sg_response_drop_reserved(sg_out *o)
{
    /* httpd's script header scanner files the fields it does not know under
     * err_headers_out: both tables are looked at. */
    drop_reserved(o->r, o->r->headers_out);
    drop_reserved(o->r, o->r->err_headers_out);
}

/* apr_brigade_write's flush function: passes the buffered bytes on. */
static apr_status_t pass_out(apr_bucket_brigade *bb, void *ctx)
{
    sg_out *o = ctx;
    apr_status_t rv;

    o->passed = 1;
    rv = ap_pass_brigade(o->r->output_filters, bb);
    apr_brigade_cleanup(bb);
    return rv;
}

int sg_response_write(sg_out *o, const char *data, apr_size_t len, int flush)
{
    request_rec *r = o->r;
    apr_status_t rv = APR_SUCCESS;
    int result = SWIFTGATE_OK;

    if (o->client_gone) {
        return SWIFTGATE_ERR_CLIENT;
    }
    if (o->declared >= 0 && o->written + (apr_off_t)len > o->declared) {
        sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00307),
                 "application wrote more than its Content-Length of "
                 "%" APR_OFF_T_FMT " bytes; response cut short",
                 o->declared);
        len = (apr_size_t)(o->declared - o->written);
        result = SWIFTGATE_ERR_LENGTH;
    }
    if (len > 0) {
        o->written += len;
        rv = apr_brigade_write(o->bb, pass_out, o, data, len);
    }
    if (rv == APR_SUCCESS && flush) {
        APR_BRIGADE_INSERT_TAIL(
            o->bb, apr_bucket_flush_create(r->connection->bucket_alloc));
        rv = pass_out(o->bb, o);
    }
    if (rv != APR_SUCCESS) {
        o->client_gone = 1;
        sg_log_r(APLOG_DEBUG, rv, r, SG_LOGNO(00308),
                 "writing the response failed (client gone?)");
        return SWIFTGATE_ERR_CLIENT;
    }
    return result;
}

/* Ends a response whose head went out but whose body is incomplete: the
 * error bucket makes httpd close the connection without a final chunk, so
 * the client sees the cut instead of waiting. */
static void abort_response(sg_out *o)
{
    conn_rec *c = o->r->connection;

    /* What is buffered was valid: it goes out before the error. */
    APR_BRIGADE_INSERT_TAIL(o->bb, ap_bucket_error_create(HTTP_BAD_GATEWAY,
                                                          NULL, o->r->pool,
                                                          c->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(o->bb, apr_bucket_eos_create(c->bucket_alloc));
    ap_pass_brigade(o->r->output_filters, o->bb);
    c->keepalive = AP_CONN_CLOSE;
}

int sg_response_finish(sg_out *o, int failed, int error_status)
{
    request_rec *r = o->r;
    int short_body = !failed && o->declared >= 0 && o->written < o->declared
                     && !r->header_only;

    if (short_body) {
        sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00310),
                 "application declared Content-Length %" APR_OFF_T_FMT
                 " but sent %" APR_OFF_T_FMT " bytes",
                 o->declared, o->written);
    }
    if ((failed || short_body) && !o->passed) {
        /* Nothing left the server: answer with an error page instead. */
        apr_brigade_cleanup(o->bb);
        apr_table_clear(r->headers_out);
        r->content_type = NULL;
        r->clength = 0;
        return error_status;
    }
    if (failed || short_body) {
        sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00309),
                 "response cut short after %" APR_OFF_T_FMT " body bytes; "
                 "closing the connection",
                 o->written);
        abort_response(o);
        return OK;
    }
    if (o->client_gone) {
        return OK;
    }
    APR_BRIGADE_INSERT_TAIL(o->bb,
                            apr_bucket_eos_create(r->connection->bucket_alloc));
    if (pass_out(o->bb, o) != APR_SUCCESS) {
        sg_log_r(APLOG_DEBUG, 0, r, SG_LOGNO(00311),
                 "client went away before the response ended");
    }
    return OK;
}

int sg_response_client_fd(conn_rec *c)
{
    apr_socket_t *sock;
    apr_os_sock_t fd;

    if (c->master || !(sock = ap_get_conn_socket(c))
        || apr_os_sock_get(&fd, sock) != APR_SUCCESS) {
        return -1;
    }
    return fd;
}

int sg_response_client_closed(int fd)
{
    struct pollfd p = {fd, POLLRDHUP, 0};
    char byte;
    ssize_t n;

    if (fd < 0 || poll(&p, 1, 0) <= 0) {
        return 0;
    }
    if (p.revents & (POLLERR | POLLNVAL)) {
        return 1;
    }
    /* The peer's end is shut: gone unless it sent something first (then
     * the next request will find out). */
    n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}
