/*
 * sg_response.h -- the response side shared by embedded and daemon mode:
 * applying response fields, streaming body bytes to the output filters with
 * Content-Length enforcement, and ending a response that was cut short.
 */
#ifndef SG_RESPONSE_H
#define SG_RESPONSE_H

/* The largest response head an application may send (fields and their
 * separators), in either mode: as much as httpd lets a client send in
 * request fields by default, so nothing legitimate is cut. */
#define SG_MAX_RESPONSE_HEAD (64 * 1024)

#include "httpd.h"
#include "apr_buckets.h"

typedef struct sg_out {
    request_rec *r;
    apr_bucket_brigade *bb;
    int passed;         /* something went to the output filters */
    int client_gone;    /* a pass failed */
    apr_off_t declared; /* Content-Length, or -1 */
    apr_off_t written;
} sg_out;

void sg_response_init(sg_out *o, request_rec *r);

/* Applies one checked response field to r (Content-Type, Content-Length,
 * hop-by-hop fields dropped); SWIFTGATE_OK or SWIFTGATE_ERR_HEADER. */
int sg_response_apply_field(sg_out *o, const char *name, const char *value);

/* Removes the fields an application may not set (hop-by-hop ones, the
 * daemon's error field) from r->headers_out and r->err_headers_out, where
 * httpd's script header scanner puts the ones it does not know (daemon
 * responses). */
void sg_response_drop_reserved(sg_out *o);

/* Appends body bytes, passing them on when the buffer fills or on flush.
 * SWIFTGATE_OK, SWIFTGATE_ERR_LENGTH (cut at Content-Length, logged) or
 * SWIFTGATE_ERR_CLIENT. */
int sg_response_write(sg_out *o, const char *data, apr_size_t len, int flush);

/* Ends the response. failed: the application or the daemon failed. When
 * nothing was passed yet, returns error_status for Apache to answer with
 * (headers dropped); otherwise ends the stream (cut responses close the
 * connection) and returns OK. */
int sg_response_finish(sg_out *o, int failed, int error_status);

#endif /* SG_RESPONSE_H */
