/*
 * sg_proto.c -- FastCGI framing and HTTP field syntax, on plain bytes.
 */
#include "sg_proto.h"

#include <string.h>

int sg_proto_next_record(const unsigned char *buf, size_t len, size_t *off,
                         sg_proto_record *rec)
{
    const unsigned char *h;
    size_t avail, content_len, padding_len;

    if (*off > len || len - *off < SWIFTGATE_FCGI_HEADER_LEN) {
        return SG_PROTO_PARTIAL;
    }
    avail = len - *off;
    h = buf + *off;
    if (h[0] != SWIFTGATE_FCGI_VERSION) {
        return SG_PROTO_BAD_VERSION;
    }
    content_len = ((size_t)h[4] << 8) | h[5];
    padding_len = h[6];
    if (avail - SWIFTGATE_FCGI_HEADER_LEN < content_len + padding_len) {
        return SG_PROTO_PARTIAL;
    }
    rec->type = h[1];
    rec->request_id = ((unsigned int)h[2] << 8) | h[3];
    rec->content = h + SWIFTGATE_FCGI_HEADER_LEN;
    rec->content_len = content_len;
    rec->padding_len = padding_len;
    *off += SWIFTGATE_FCGI_HEADER_LEN + content_len + padding_len;
    return SG_PROTO_RECORD;
}

void sg_proto_put_header(unsigned char *h, int type, unsigned int request_id,
                         size_t content_len, size_t padding_len)
{
    h[0] = SWIFTGATE_FCGI_VERSION;
    h[1] = (unsigned char)type;
    h[2] = (unsigned char)(request_id >> 8);
    h[3] = (unsigned char)request_id;
    h[4] = (unsigned char)(content_len >> 8);
    h[5] = (unsigned char)content_len;
    h[6] = (unsigned char)padding_len;
    h[7] = 0;
}

size_t sg_proto_put_length(unsigned char *p, size_t n)
{
    if (n < 128) {
        p[0] = (unsigned char)n;
        return 1;
    }
    p[0] = (unsigned char)((n >> 24) | 0x80);
    p[1] = (unsigned char)(n >> 16);
    p[2] = (unsigned char)(n >> 8);
    p[3] = (unsigned char)n;
    return 4;
}

size_t sg_proto_put_pair(unsigned char *p, const char *name, size_t name_len,
                         const char *value, size_t value_len)
{
    unsigned char *start = p;

    if (name_len > SG_PROTO_MAX_PAIR_LENGTH
        || value_len > SG_PROTO_MAX_PAIR_LENGTH) {
        return 0;
    }
    p += sg_proto_put_length(p, name_len);
    p += sg_proto_put_length(p, value_len);
    if (name_len) {
        memcpy(p, name, name_len);
        p += name_len;
    }
    if (value_len) {
        memcpy(p, value, value_len);
        p += value_len;
    }
    return (size_t)(p - start);
}

size_t sg_proto_head_end(const char *buf, size_t len, size_t searched)
{
    /* A blank line is at most three bytes: the last two searched ones may
     * start one that the new bytes complete. */
    size_t i = searched > 3 ? searched - 3 : 0;

    for (; i + 1 < len; i++) {
        if (buf[i] != '\n') {
            continue;
        }
        if (buf[i + 1] == '\n') {
            return i + 2;
        }
        if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n') {
            return i + 3;
        }
    }
    return 0;
}

/* RFC 9110's tchar: ALPHA, DIGIT and these. */
static int is_tchar(unsigned char c)
{
    static const char punctuation[] = "!#$%&'*+-.^_`|~";

    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9')
           || memchr(punctuation, c, sizeof(punctuation) - 1) != NULL;
}

int sg_proto_token_valid(const char *name, size_t len)
{
    size_t i;

    if (len == 0) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (!is_tchar((unsigned char)name[i])) {
            return 0;
        }
    }
    return 1;
}

int sg_proto_value_valid(const char *value, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];

        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return 0;
        }
    }
    return 1;
}

int sg_proto_content_length(const char *value, int64_t *out)
{
    int64_t n = 0;
    const char *p = value;

    if (*p == '\0') {
        return 0;
    }
    for (; *p; p++) {
        int digit;

        if (*p < '0' || *p > '9') {
            return 0;
        }
        digit = *p - '0';
        if (n > (INT64_MAX - digit) / 10) {
            return 0;
        }
        n = n * 10 + digit;
    }
    *out = n;
    return 1;
}
