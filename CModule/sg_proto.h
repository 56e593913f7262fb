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

/*
 * Reads the FastCGI record at an offset of a buffer: its header is decoded
 * as soon as eight bytes are there, its content once all of it and its
 * padding are. Never reads at or past buf + len.
 * @param buf the bytes received
 * @param len how many
 * @param off in: where the record starts; out, on SG_PROTO_RECORD only:
 *        just past its padding
 * @param rec out, on SG_PROTO_RECORD only: the record
 * @return SG_PROTO_RECORD, SG_PROTO_PARTIAL or SG_PROTO_BAD_VERSION
 */
int sg_proto_next_record(const unsigned char *buf, size_t len, size_t *off,
                         sg_proto_record *rec);

/*
 * Writes the eight header bytes of a FastCGI record.
 * @param h where they go
 * @param type the record type (SWIFTGATE_FCGI_*)
 * @param request_id the request (16 bits)
 * @param content_len at most SWIFTGATE_FCGI_MAX_CONTENT
 * @param padding_len at most SG_PROTO_MAX_PADDING
 */
void sg_proto_put_header(unsigned char *h, int type, unsigned int request_id,
                         size_t content_len, size_t padding_len);

/*
 * Writes a FastCGI name-value length: one byte below 128, else four bytes,
 * big-endian, top bit set.
 * @param p where it goes (room for four bytes)
 * @param n at most SG_PROTO_MAX_PAIR_LENGTH
 * @return the bytes written, 1 or 4
 */
size_t sg_proto_put_length(unsigned char *p, size_t n);

/*
 * Writes one FastCGI name-value pair: the two lengths, the name, the
 * value.
 * @param p where it goes, with room for SG_PROTO_PAIR_OVERHEAD + name_len
 *        + value_len bytes
 * @param name the name (NULL only when name_len is 0)
 * @param name_len its length
 * @param value the value (NULL only when value_len is 0)
 * @param value_len its length
 * @return the bytes written, or 0 (nothing written) when a length is over
 *         SG_PROTO_MAX_PAIR_LENGTH
 */
size_t sg_proto_put_pair(unsigned char *p, const char *name, size_t name_len,
                         const char *value, size_t value_len);

/*
 * Finds the end of a CGI response head: just past its first blank line
 * ("\n\n" or "\n\r\n"). The search resumes a few bytes before what an
 * earlier call searched, so that a blank line split between two reads is
 * found.
 * @param buf the head bytes received so far
 * @param len how many
 * @param searched how many leading bytes an earlier call searched without
 *        finding the end (0 at first)
 * @return the length of the head, or 0 when it has not ended yet
 */
size_t sg_proto_head_end(const char *buf, size_t len, size_t searched);

/*
 * Whether bytes are an HTTP field name: a non-empty token of RFC 9110
 * (letters, digits and !#$%&'*+-.^_`|~), in any locale.
 * @param name the bytes
 * @param len how many
 * @return 1 or 0
 */
int sg_proto_token_valid(const char *name, size_t len);

/*
 * Whether bytes may be an HTTP field value: visible ASCII, bytes from 0x80
 * on, space and HTAB; never CR, LF, NUL or another control.
 * @param value the bytes
 * @param len how many
 * @return 1 or 0
 */
int sg_proto_value_valid(const char *value, size_t len);

/*
 * Reads a Content-Length value: one or more decimal digits and nothing
 * else, at most INT64_MAX.
 * @param value the field value, NUL-terminated
 * @param out the length, when valid
 * @return 1 with *out set, or 0
 */
int sg_proto_content_length(const char *value, int64_t *out);

#endif /* SG_PROTO_H */
