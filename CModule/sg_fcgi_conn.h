/*
 * sg_fcgi_conn.h -- what the responder role (sg_fcgi.c) and the authorizer
 * role (sg_fcgi_auth.c) share: one exchange's state, its encoding into
 * FastCGI records, and connecting to a group's socket. Only those two
 * files include it.
 */
#ifndef SG_FCGI_CONN_H
#define SG_FCGI_CONN_H

#include "httpd.h"

#include "sg_cgi.h"
#include "sg_group.h"
#include "sg_proto.h"
#include "sg_response.h"

/* Room for one whole record (header, content, padding) and then some. */
#define SG_FCGI_CONN_READ_BUFFER (128 * 1024)
_Static_assert(SG_FCGI_CONN_READ_BUFFER > SG_PROTO_MAX_RECORD,
               "a partial record always leaves room to read more");

typedef struct sg_fcgi_conn {
    request_rec *r;
    sg_group *g;
    int fd;
    int reused;     /* fd was kept from an earlier request */
    int received;   /* any byte came back on fd */
    int body_taken; /* client body bytes were read: no retry */
    apr_time_t started;
    const char *request_id;
    apr_interval_time_t slow; /* slow-request, 0 none */
    int slow_logged;
    /* To the daemon. */
    char *pending;
    apr_size_t pending_len, pending_off, pending_cap;
    apr_bucket_brigade *in;
    int body_sent;
    int read_status;
    /* From the daemon. */
    char *rbuf;
    apr_size_t rlen;
    char *head;
    apr_size_t head_len;
    int head_done;
    int ended;
    int app_status;
    int error_status; /* the daemon answered with its own error */
    sg_out out;
} sg_fcgi_conn;

/*
 * Starts an exchange: no connection yet, nothing pending.
 * @param f the exchange to fill in
 * @param r the request it serves; its pool holds the buffers
 * @param g the daemon group it goes to
 */
void sg_fcgi_conn_init(sg_fcgi_conn *f, request_rec *r, sg_group *g);

/*
 * Appends one record of request 1 to the bytes pending for the daemon.
 * @param f the exchange
 * @param type the record type (SWIFTGATE_FCGI_*)
 * @param content the content, or NULL when len is 0 (a stream's end)
 * @param len at most SWIFTGATE_FCGI_MAX_CONTENT
 */
void sg_fcgi_conn_put_record(sg_fcgi_conn *f, int type, const char *content,
                             apr_size_t len);

/*
 * Appends BEGIN_REQUEST and the whole PARAMS stream, split into records:
 * the group's secret first, then env. A pair too long for FastCGI's
 * lengths is left out.
 * @param f the exchange
 * @param env the parameters
 * @param role SWIFTGATE_FCGI_RESPONDER or SWIFTGATE_FCGI_AUTHORIZER
 * @param flags BEGIN_REQUEST's flags (SWIFTGATE_FCGI_KEEP_CONN or 0)
 */
void sg_fcgi_conn_put_params(sg_fcgi_conn *f, const sg_pairs *env, int role,
                             int flags);

/*
 * Connects f to its group's socket once a process of the group serves,
 * retrying while the socket refuses, within the group's connect-timeout.
 * @param f the exchange; f->fd is set on success
 * @return OK, or HTTP_SERVICE_UNAVAILABLE after logging why
 */
int sg_fcgi_conn_connect(sg_fcgi_conn *f);

#endif /* SG_FCGI_CONN_H */
