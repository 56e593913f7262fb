/*
 * fuzz_fields.c -- libFuzzer target for the HTTP field checks in
 * CModule/sg_proto.c, which stand between an application and the response
 * header fields httpd sends.
 *
 * The input is a field name, a field value and a Content-Length value at
 * once. Each check is compared with a reference written here from RFC 9110
 * (token, field-value) and from plain arithmetic (Content-Length); any
 * disagreement aborts, and so does a check that lets CR, LF or NUL through.
 */
#include "sg_proto.h"

#include "fuzz_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 9110 5.6.2: token = 1*tchar; tchar = "!" / "#" / "$" / "%" / "&" /
 * "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT /
 * ALPHA. Spelled out byte by byte, without <ctype.h>. */
static int reference_token(const unsigned char *s, size_t len)
{
    static const char tchar[] = "!#$%&'*+-.^_`|~"
                                "0123456789"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "abcdefghijklmnopqrstuvwxyz";
    size_t i, j;

    if (len == 0) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        int ok = 0;

        for (j = 0; j < sizeof(tchar) - 1; j++) {
            ok |= s[i] == (unsigned char)tchar[j];
        }
        if (!ok) {
            return 0;
        }
    }
    return 1;
}

/* RFC 9110 5.5: field-value = *field-content, built of field-vchar (VCHAR
 * and obs-text) with SP and HTAB between; leading and trailing white space
 * is left to the reader. */
static int reference_value(const unsigned char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        int vchar = s[i] >= 0x21 && s[i] <= 0x7e;
        int obs_text = s[i] >= 0x80;

        if (!vchar && !obs_text && s[i] != ' ' && s[i] != '\t') {
            return 0;
        }
    }
    return 1;
}

static int has_cr_lf_nul(const unsigned char *s, size_t len)
{
    return memchr(s, '\r', len) || memchr(s, '\n', len) || memchr(s, 0, len);
}

/* Content-Length = 1*DIGIT, here up to INT64_MAX: compared as digit
 * strings with leading zeros dropped, then summed. */
static int reference_length(const char *s, int64_t *out)
{
    static const char max[] = "9223372036854775807";
    size_t len = strlen(s), i;
    const char *digits = s;
    int64_t n = 0;

    if (len == 0 || strspn(s, "0123456789") != len) {
        return 0;
    }
    while (*digits == '0' && digits[1] != '\0') {
        digits++;
    }
    len = strlen(digits);
    if (len > sizeof(max) - 1
        || (len == sizeof(max) - 1 && strcmp(digits, max) > 0)) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        n = n * 10 + (digits[i] - '0');
    }
    *out = n;
    return 1;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    const char *text = (const char *)data;
    char *cstring;
    int64_t got = -1, want = -2;
    int name_ok = sg_proto_token_valid(text, size);
    int value_ok = sg_proto_value_valid(text, size);
    int length_ok;

    CHECK(name_ok == 0 || name_ok == 1);
    CHECK(value_ok == 0 || value_ok == 1);
    CHECK(name_ok == reference_token(data, size));
    CHECK(value_ok == reference_value(data, size));
    CHECK(!name_ok || !has_cr_lf_nul(data, size));
    CHECK(!value_ok || !has_cr_lf_nul(data, size));
    /* A token is a valid value too. */
    CHECK(!name_ok || value_ok);

    /* Every prefix: a name or value cut short is checked on its own. */
    if (size > 0) {
        CHECK(sg_proto_token_valid(text, size - 1)
              == reference_token(data, size - 1));
        CHECK(sg_proto_value_valid(text, size - 1)
              == reference_value(data, size - 1));
    }

    /* The input as a C string, as sg_response_apply_field receives values. */
    cstring = malloc(size + 1);
    CHECK(cstring != NULL);
    memcpy(cstring, data, size);
    cstring[size] = '\0';
    length_ok = sg_proto_content_length(cstring, &got);
    CHECK(length_ok == reference_length(cstring, &want));
    CHECK(!length_ok || (got == want && got >= 0));
    free(cstring);
    return 0;
}
