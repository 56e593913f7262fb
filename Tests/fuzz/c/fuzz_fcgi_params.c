/*
 * fuzz_fcgi_params.c -- libFuzzer target for the encoding side of
 * CModule/sg_proto.c: name-value lengths and pairs, and record headers, as
 * mod_swiftgate writes a request's PARAMS stream to a daemon.
 *
 * Input layout: four bytes of a length to encode on its own, two bytes of
 * a record size (1 to 65535), then pairs, each a two-byte name length and
 * a two-byte value length (big-endian, cut to what is left) followed by the
 * name and value bytes. The pairs are encoded, cut into PARAMS records of
 * that size, split again with sg_proto_next_record and decoded by the
 * FastCGI 1.0 rules written out here; the result must be the pairs put in.
 */
#include "sg_proto.h"

#include "fuzz_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pair {
    const unsigned char *name, *value;
    size_t name_len, value_len;
} pair;

/* FastCGI 1.0, 3.4: a length is one byte (top bit clear) or four bytes
 * with the top bit of the first set, big-endian over 31 bits. Returns the
 * bytes read, 0 when the length is cut. */
static size_t reference_length(const unsigned char *p, size_t avail, size_t *n)
{
    if (avail < 1) {
        return 0;
    }
    if (p[0] >> 7 == 0) {
        *n = p[0];
        return 1;
    }
    if (avail < 4) {
        return 0;
    }
    *n = ((size_t)(p[0] & 0x7f) << 24) | ((size_t)p[1] << 16)
         | ((size_t)p[2] << 8) | p[3];
    return 4;
}

static unsigned int be16(const unsigned char *p)
{
    return ((unsigned int)p[0] << 8) | p[1];
}

/* One length on its own, and the refusal of a pair too long to encode. */
static void check_length(const unsigned char *data)
{
    size_t n = ((size_t)data[0] << 24) | ((size_t)data[1] << 16)
               | ((size_t)data[2] << 8) | data[3];
    unsigned char buf[4], pair_buf[SG_PROTO_PAIR_OVERHEAD + 1];
    size_t wrote, read, back = 0;

    if (n > SG_PROTO_MAX_PAIR_LENGTH) {
        /* No encoding: refused, nothing written (the name would not fit). */
        memset(pair_buf, 0xee, sizeof(pair_buf));
        CHECK(sg_proto_put_pair(pair_buf, NULL, n, "", 0) == 0);
        CHECK(sg_proto_put_pair(pair_buf, "", 0, NULL, n) == 0);
        CHECK(pair_buf[0] == 0xee);
        n &= SG_PROTO_MAX_PAIR_LENGTH;
    }
    wrote = sg_proto_put_length(buf, n);
    CHECK(wrote == (n < 128 ? 1u : 4u));
    read = reference_length(buf, wrote, &back);
    CHECK(read == wrote && back == n);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    pair *pairs;
    size_t count = 0, off, total = 0, stream_len = 0, i, record_size;
    unsigned char *stream, *wire, *joined;
    size_t wire_len = 0, joined_len = 0;

    if (size < 6) {
        return 0;
    }
    check_length(data);
    record_size = be16(data + 4);
    record_size = record_size ? record_size : 1;

    /* The pairs named by the input. */
    pairs = calloc(size / 4 + 1, sizeof(*pairs));
    CHECK(pairs != NULL);
    for (off = 6; size - off >= 4;) {
        pair *p = &pairs[count++];

        p->name_len = be16(data + off);
        p->value_len = be16(data + off + 2);
        off += 4;
        p->name_len = p->name_len > size - off ? size - off : p->name_len;
        p->name = data + off;
        off += p->name_len;
        p->value_len = p->value_len > size - off ? size - off : p->value_len;
        p->value = data + off;
        off += p->value_len;
        total += SG_PROTO_PAIR_OVERHEAD + p->name_len + p->value_len;
    }

    /* Encoded as put_params does. */
    stream = malloc(total + 1);
    CHECK(stream != NULL);
    for (i = 0; i < count; i++) {
        size_t n = sg_proto_put_pair(
            stream + stream_len, (const char *)pairs[i].name, pairs[i].name_len,
            (const char *)pairs[i].value, pairs[i].value_len);

        CHECK(n
              == (pairs[i].name_len < 128 ? 1u : 4u)
                     + (pairs[i].value_len < 128 ? 1u : 4u) + pairs[i].name_len
                     + pairs[i].value_len);
        stream_len += n;
    }
    CHECK(stream_len <= total);

    /* Cut into PARAMS records, then the empty record that ends them. */
    wire = malloc(stream_len
                  + (stream_len / record_size + 2) * SWIFTGATE_FCGI_HEADER_LEN);
    CHECK(wire != NULL);
    for (off = 0; off < stream_len; off += record_size) {
        size_t n =
            stream_len - off < record_size ? stream_len - off : record_size;

        sg_proto_put_header(wire + wire_len, SWIFTGATE_FCGI_PARAMS, 1, n, 0);
        memcpy(wire + wire_len + SWIFTGATE_FCGI_HEADER_LEN, stream + off, n);
        wire_len += SWIFTGATE_FCGI_HEADER_LEN + n;
    }
    sg_proto_put_header(wire + wire_len, SWIFTGATE_FCGI_PARAMS, 1, 0, 0);
    wire_len += SWIFTGATE_FCGI_HEADER_LEN;

    /* Read back as a daemon would: records, then pairs. */
    joined = malloc(stream_len + 1);
    CHECK(joined != NULL);
    {
        sg_proto_record rec;
        size_t at = 0, records = 0;
        int ended = 0, rc;

        while ((rc = sg_proto_next_record(wire, wire_len, &at, &rec))
               == SG_PROTO_RECORD) {
            CHECK(!ended);
            CHECK(rec.type == SWIFTGATE_FCGI_PARAMS && rec.request_id == 1);
            CHECK(rec.padding_len == 0);
            CHECK(rec.content_len <= record_size);
            if (rec.content_len == 0) {
                ended = 1;
            }
            memcpy(joined + joined_len, rec.content, rec.content_len);
            joined_len += rec.content_len;
            records++;
        }
        CHECK(rc == SG_PROTO_PARTIAL && at == wire_len && ended);
        CHECK(records == (stream_len + record_size - 1) / record_size + 1);
    }
    CHECK(joined_len == stream_len && memcmp(joined, stream, stream_len) == 0);
    for (off = 0, i = 0; off < joined_len; i++) {
        size_t name_len = 0, value_len = 0, n;

        CHECK(i < count);
        n = reference_length(joined + off, joined_len - off, &name_len);
        CHECK(n > 0);
        off += n;
        n = reference_length(joined + off, joined_len - off, &value_len);
        CHECK(n > 0);
        off += n;
        CHECK(name_len == pairs[i].name_len && value_len == pairs[i].value_len);
        CHECK(joined_len - off >= name_len + value_len);
        CHECK(memcmp(joined + off, pairs[i].name, name_len) == 0);
        off += name_len;
        CHECK(memcmp(joined + off, pairs[i].value, value_len) == 0);
        off += value_len;
    }
    CHECK(i == count && off == joined_len);

    free(joined);
    free(wire);
    free(stream);
    free(pairs);
    return 0;
}
