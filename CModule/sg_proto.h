/*
 * sg_proto.h -- the byte-level protocol rules the module applies to what a
 * daemon sends back and to what an application asks to send: FastCGI
 * record framing, name-value length encoding, the end of a CGI response
 * head, and the HTTP field syntax checks. Nothing here touches httpd or
 * APR, so the fuzz targets under Tests/fuzz/c build it on its own.
 */
#ifndef SG_PROTO_H
#define SG_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "swiftgate.h"

/* The largest padding a record header can announce (one byte). */
#define SG_PROTO_MAX_PADDING 255
/* The largest record on the wire: header, content and padding. A buffer
 * this big always holds the record being read. */
#define SG_PROTO_MAX_RECORD                                                    \
    (SWIFTGATE_FCGI_HEADER_LEN + SWIFTGATE_FCGI_MAX_CONTENT                    \
     + SG_PROTO_MAX_PADDING)
/* The largest name or value length the four-byte encoding holds. */
#define SG_PROTO_MAX_PAIR_LENGTH 0x7fffffffu
/* The most bytes a pair's two length fields take. */
#define SG_PROTO_PAIR_OVERHEAD 8

/* One FastCGI record found in a buffer; content points into the buffer. */
typedef struct sg_proto_record {
    unsigned char type;
    unsigned int request_id;
    const unsigned char *content;
    size_t content_len;
    size_t padding_len;
} sg_proto_record;

/* What sg_proto_next_record found at the offset. */
#define SG_PROTO_RECORD      1    /* a whole record; the offset moved past it */
#define SG_PROTO_PARTIAL     0    /* the record there is not complete yet */
#define SG_PROTO_BAD_VERSION (-1) /* a whole header with another version */

/* Reads the record at *off in buf[0..len): its header is decoded as soon
 * as eight bytes are there, its content once all of it and its padding
 * are. On SG_PROTO_RECORD fills rec and moves *off past the padding; on any
 * other result leaves both alone. Never reads at or past buf + len. */
int sg_proto_next_record(const unsigned char *buf, size_t len, size_t *off,
                         sg_proto_record *rec);

/* Writes the eight header bytes of a record to h. content_len is at most
 * SWIFTGATE_FCGI_MAX_CONTENT, padding_len at most SG_PROTO_MAX_PADDING. */
void sg_proto_put_header(unsigned char *h, int type, unsigned int request_id,
                         size_t content_len, size_t padding_len);

/* Writes a name-value length to p: one byte below 128, else four bytes,
 * big-endian, top bit set. n is at most SG_PROTO_MAX_PAIR_LENGTH. Returns
 * the bytes written. */
size_t sg_proto_put_length(unsigned char *p, size_t n);

/* Writes one name-value pair to p, which has room for
 * SG_PROTO_PAIR_OVERHEAD + name_len + value_len bytes. Returns the bytes
 * written, or 0 (nothing written) when a length is over
 * SG_PROTO_MAX_PAIR_LENGTH. */
size_t sg_proto_put_pair(unsigned char *p, const char *name, size_t name_len,
                         const char *value, size_t value_len);

/* Where a CGI response head ends in buf[0..len): just past its first blank
 * line ("\n\n" or "\n\r\n"), or 0 when it has none yet. searched is how
 * many leading bytes an earlier call already searched without finding the
 * end; the search resumes a few bytes before them, so that a blank line
 * split between two reads is found. */
size_t sg_proto_head_end(const char *buf, size_t len, size_t searched);

/* Whether name[0..len) is an HTTP field name: a non-empty token of
 * RFC 9110 (letters, digits and !#$%&'*+-.^_`|~), in any locale. */
int sg_proto_token_valid(const char *name, size_t len);

/* Whether value[0..len) may be an HTTP field value: visible ASCII, bytes
 * from 0x80 on, space and HTAB; never CR, LF, NUL or another control. */
int sg_proto_value_valid(const char *value, size_t len);

/* Reads a Content-Length value: one or more decimal digits and nothing
 * else, at most INT64_MAX. Returns 1 with *out set, or 0. */
int sg_proto_content_length(const char *value, int64_t *out);

#endif /* SG_PROTO_H */
