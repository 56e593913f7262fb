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

/* One response on its way to the output filters. */
typedef struct sg_out {
    request_rec *r;
    apr_bucket_brigade *bb;
    int passed;         /* something went to the output filters */
    int client_gone;    /* a pass failed */
    apr_off_t declared; /* Content-Length, or -1 */
    apr_off_t written;
} sg_out;

/*
 * Starts a response: nothing written, no Content-Length declared.
 * @param o the response to fill in
 * @param r the request; its pool holds the brigade
 */
void sg_response_init(sg_out *o, request_rec *r);

/*
 * Applies one response field whose syntax was checked: Content-Type and
 * Content-Length go to httpd's own fields (the length is enforced by
 * sg_response_write), the fields an application may not set are dropped
 * with a warning, the rest are added to r->headers_out.
 * @param o the response
 * @param name the field name
 * @param value the field value
 * @return SWIFTGATE_OK, or SWIFTGATE_ERR_HEADER (logged) for a
 *         Content-Length that is not a number
 */
int sg_response_apply_field(sg_out *o, const char *name, const char *value);

/*
 * Removes the fields an application may not set (hop-by-hop ones, the
 * daemon's error field) from r->headers_out and r->err_headers_out, where
 * httpd's script header scanner puts the ones it does not know (daemon
 * responses), with a warning for each.
 * @param o the response
 */
void sg_response_drop_reserved(sg_out *o);

/*
 * Appends body bytes, passing them on when the buffer fills or on flush;
 * bytes past the declared Content-Length are cut.
 * @param o the response
 * @param data the bytes
 * @param len how many
 * @param flush whether to pass everything buffered on now
 * @return SWIFTGATE_OK, SWIFTGATE_ERR_LENGTH (cut at Content-Length,
 *         logged) or SWIFTGATE_ERR_CLIENT (the client went away)
 */
int sg_response_write(sg_out *o, const char *data, apr_size_t len, int flush);

/*
 * Ends a response. A failure, or a body shorter than its Content-Length,
 * before anything was passed on becomes an error page (headers dropped);
 * after, the stream is cut and the connection closed.
 * @param o the response
 * @param failed whether the application or the daemon failed
 * @param error_status what Apache answers with when nothing was passed
 * @return error_status for Apache to answer with, or OK
 */
int sg_response_finish(sg_out *o, int failed, int error_status);

/*
 * The socket of a request's client connection, for noticing that the
 * client went away while the application works.
 * @param c the request's connection
 * @return the descriptor, or -1 when the connection is not a socket of its
 *         own (an HTTP/2 stream shares its connection with others)
 */
int sg_response_client_fd(conn_rec *c);

/*
 * Whether the client closed its connection (checked without waiting).
 * A client that half-closed after its request, or pipelined another one,
 * still counts as there.
 * @param fd what sg_response_client_fd gave, or -1
 * @return 1 when it is gone, 0 otherwise
 */
int sg_response_client_closed(int fd);

#endif /* SG_RESPONSE_H */
