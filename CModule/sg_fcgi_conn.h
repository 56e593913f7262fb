/*
 * sg_fcgi_conn.h -- what the responder role (sg_fcgi.c) and the authorizer
 * role (sg_fcgi_auth.c) share: one exchange's state, its encoding into
 * FastCGI records, and connecting to a group's socket. No other file
 * includes it.
 */
#ifndef SG_FCGI_CONN_H
#define SG_FCGI_CONN_H

#include "sg_fcgi.h"
#include "sg_proto.h"
#include "sg_response.h"

/* Room for one whole record (header, content, padding) and then some. */
#define SG_FCGI_READ_BUFFER (128 * 1024)
_Static_assert(SG_FCGI_READ_BUFFER > SG_PROTO_MAX_RECORD,
               "a partial record always leaves room to read more");

typedef struct sg_fcgi {
    request_rec *r;
    sg_group *g;
    int fd;
    int reused;     /* fd was kept from an earlier request */
    int received;   /* any byte came back on fd */
    int body_taken; /* client body bytes were read: no retry */
    apr_time_t started;
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
} sg_fcgi;

/* A fresh exchange of r with group g; buffers from r's pool. */
void sg_fcgi_init(sg_fcgi *f, request_rec *r, sg_group *g);

/* Appends one record of request 1 to the bytes pending for the daemon. */
void sg_fcgi_put_record(sg_fcgi *f, int type, const char *content,
                        apr_size_t len);

/* BEGIN_REQUEST (role, flags) and the PARAMS stream of env, split into
 * records. */
void sg_fcgi_put_params(sg_fcgi *f, const sg_pairs *env, int role, int flags);

/* Connects f to its group's socket once a process serves, retrying within
 * connect-timeout: OK, or HTTP_SERVICE_UNAVAILABLE (logged). */
int sg_fcgi_connect_daemon(sg_fcgi *f);

#endif /* SG_FCGI_CONN_H */
