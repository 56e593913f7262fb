/*
 * fuzz_fcgi_records.c -- libFuzzer target for the FastCGI record splitter
 * and the response head scan in CModule/sg_proto.c, which read what a
 * daemon sends back.
 *
 * The input is the byte stream from a daemon. The target splits it at once
 * and checks each record against its header bytes; splits it again as
 * mod_swiftgate's exchange does, from a fixed read buffer filled in chunks
 * of varying size, and checks both give the same records and the same
 * stop; re-encodes each header and compares; and looks for the end of the
 * response head in the STDOUT stream, record by record as take_stdout
 * does, against a one-shot search written here.
 */
#define _GNU_SOURCE /* memmem */
#include "sg_proto.h"

#include "fuzz_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* mod_swiftgate's read buffer and response head limit (sg_fcgi.c). */
#define READ_BUFFER (128 * 1024)
#define MAX_HEAD    (64 * 1024)

typedef struct found {
    sg_proto_record *records;
    size_t count;
    size_t consumed;
    int stop; /* SG_PROTO_PARTIAL or SG_PROTO_BAD_VERSION */
} found;

/* Splits data all at once, checking each record against its header. */
static found split_whole(const unsigned char *data, size_t size)
{
    found f = {
        calloc(size / SWIFTGATE_FCGI_HEADER_LEN + 1, sizeof(sg_proto_record)),
        0, 0, 0};
    sg_proto_record rec;
    size_t off = 0;
    int rc;

    CHECK(f.records != NULL);
    while ((rc = sg_proto_next_record(data, size, &off, &rec))
           == SG_PROTO_RECORD) {
        const unsigned char *h = data + f.consumed;
        unsigned char again[SWIFTGATE_FCGI_HEADER_LEN];

        CHECK(off > f.consumed && off <= size);
        CHECK(rec.content == h + SWIFTGATE_FCGI_HEADER_LEN);
        CHECK(rec.content_len <= SWIFTGATE_FCGI_MAX_CONTENT);
        CHECK(rec.padding_len <= SG_PROTO_MAX_PADDING);
        CHECK(rec.request_id <= 0xffff);
        CHECK(off - f.consumed
              == SWIFTGATE_FCGI_HEADER_LEN + rec.content_len + rec.padding_len);
        CHECK(h[0] == SWIFTGATE_FCGI_VERSION && rec.type == h[1]);
        CHECK(rec.request_id == (unsigned int)(h[2] * 256 + h[3]));
        CHECK(rec.content_len == (size_t)(h[4] * 256 + h[5]));
        CHECK(rec.padding_len == h[6]);

        /* Encoding the decoded header gives the same bytes (but for the
         * reserved byte, which a reader ignores and a writer zeroes). */
        sg_proto_put_header(again, rec.type, rec.request_id, rec.content_len,
                            rec.padding_len);
        CHECK(memcmp(again, h, SWIFTGATE_FCGI_HEADER_LEN - 1) == 0);
        CHECK(again[SWIFTGATE_FCGI_HEADER_LEN - 1] == 0);

        f.records[f.count++] = rec;
        f.consumed = off;
    }
    CHECK(off == f.consumed);
    f.stop = rc;
    if (rc == SG_PROTO_BAD_VERSION) {
        CHECK(size - off >= SWIFTGATE_FCGI_HEADER_LEN);
        CHECK(data[off] != SWIFTGATE_FCGI_VERSION);
    }
    else {
        CHECK(rc == SG_PROTO_PARTIAL);
        CHECK(size - off < SWIFTGATE_FCGI_HEADER_LEN
              || size - off
                     < SWIFTGATE_FCGI_HEADER_LEN
                           + (size_t)(data[off + 4] * 256 + data[off + 5])
                           + data[off + 6]);
    }
    return f;
}

/* A small generator for chunk sizes, seeded by the input. */
static size_t next_chunk(unsigned int *state)
{
    unsigned int x = *state;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    /* Mostly short reads, sometimes long ones, as a socket gives. */
    return (x & 0x100) ? (x >> 9) % READ_BUFFER + 1 : (x & 0xff) + 1;
}

/* Splits data as sg_fcgi.c's exchange does: read() into the free end of a
 * fixed buffer, take the whole records, move the rest to the front. */
static void split_streamed(const unsigned char *data, size_t size,
                           const found *whole)
{
    unsigned char *rbuf = malloc(READ_BUFFER);
    unsigned int state = (unsigned int)size * 2654435761u | 1u;
    size_t fed = 0, rlen = 0, index = 0, base = 0;
    int stop = SG_PROTO_PARTIAL;

    CHECK(rbuf != NULL);
    while (fed < size && stop != SG_PROTO_BAD_VERSION) {
        size_t want = next_chunk(&state), off = 0;
        sg_proto_record rec;
        int rc;

        /* A partial record always leaves room for read() to fill. */
        CHECK(rlen < READ_BUFFER);
        if (want > READ_BUFFER - rlen) {
            want = READ_BUFFER - rlen;
        }
        if (want > size - fed) {
            want = size - fed;
        }
        memcpy(rbuf + rlen, data + fed, want);
        rlen += want;
        fed += want;
        while ((rc = sg_proto_next_record(rbuf, rlen, &off, &rec))
               == SG_PROTO_RECORD) {
            const sg_proto_record *w;

            CHECK(index < whole->count);
            w = &whole->records[index];
            CHECK(rec.type == w->type && rec.request_id == w->request_id);
            CHECK(rec.content_len == w->content_len);
            CHECK(rec.padding_len == w->padding_len);
            CHECK(memcmp(rec.content, w->content, rec.content_len) == 0);
            index++;
        }
        stop = rc;
        if (rc == SG_PROTO_PARTIAL) {
            CHECK(rlen - off < SG_PROTO_MAX_RECORD);
        }
        base += off;
        memmove(rbuf, rbuf + off, rlen - off);
        rlen -= off;
    }
    /* Both ways found the same records and stopped at the same place. */
    CHECK(index == whole->count);
    CHECK(base == whole->consumed);
    CHECK(stop == whole->stop);
    free(rbuf);
}

/* The end of the head: the first "\n\n" or "\n\r\n", found by memmem. */
static size_t reference_head_end(const char *buf, size_t len)
{
    const char *lf = memmem(buf, len, "\n\n", 2);
    const char *crlf = memmem(buf, len, "\n\r\n", 3);

    if (lf && (!crlf || lf < crlf)) {
        return (size_t)(lf - buf) + 2;
    }
    if (crlf) {
        return (size_t)(crlf - buf) + 3;
    }
    return 0;
}

/* Looks for the end of the head in pieces as take_stdout does: pieces
 * appended to a head buffer of MAX_HEAD bytes until the end is seen. */
static void scan_head(const unsigned char *const *pieces, const size_t *lens,
                      size_t count)
{
    char *head = malloc(MAX_HEAD);
    size_t head_len = 0, end = 0, i;

    CHECK(head != NULL);
    for (i = 0; i < count && end == 0; i++) {
        size_t searched = head_len;

        if (head_len + lens[i] > MAX_HEAD) {
            break; /* mod_swiftgate answers 502 here */
        }
        if (lens[i]) {
            memcpy(head + head_len, pieces[i], lens[i]);
        }
        head_len += lens[i];
        end = sg_proto_head_end(head, head_len, searched);
        CHECK(end == 0 || (end >= 2 && end <= head_len));
        /* Found as soon as the bytes so far hold it, and at the first one. */
        CHECK(end == reference_head_end(head, head_len));
    }
    free(head);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    found whole = split_whole(data, size);
    const unsigned char **pieces;
    size_t *lens, count = 0, i;
    unsigned int state = (unsigned int)size | 1u;

    split_streamed(data, size, &whole);

    /* The STDOUT stream, one piece per record. */
    pieces = calloc(whole.count + 1, sizeof(*pieces));
    lens = calloc(whole.count + 1, sizeof(*lens));
    CHECK(pieces != NULL && lens != NULL);
    for (i = 0; i < whole.count; i++) {
        if (whole.records[i].type == SWIFTGATE_FCGI_STDOUT) {
            pieces[count] = whole.records[i].content;
            lens[count++] = whole.records[i].content_len;
        }
    }
    scan_head(pieces, lens, count);
    free(pieces);
    free(lens);

    /* The raw input as a head too, in chunks of varying size. */
    {
        size_t n = 0, off = 0;

        pieces = calloc(size + 1, sizeof(*pieces));
        lens = calloc(size + 1, sizeof(*lens));
        CHECK(pieces != NULL && lens != NULL);
        while (off < size) {
            size_t len = next_chunk(&state) % 16 + 1;

            len = len > size - off ? size - off : len;
            pieces[n] = data + off;
            lens[n++] = len;
            off += len;
        }
        scan_head(pieces, lens, n);
        free(pieces);
        free(lens);
    }
    free(whole.records);
    return 0;
}
