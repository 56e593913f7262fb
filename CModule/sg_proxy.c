/*
 * sg_proxy.c -- forwarding headers from trusted proxies.
 *
 * A header such as X-Forwarded-For is only as honest as whoever sent it.
 * SwiftGateTrustedProxyHeaders names the headers an application may rely
 * on; SwiftGateTrustedProxies names the peers allowed to send them. A
 * listed header arriving from any other peer is removed before the
 * application sees the request, so a client cannot pose as a proxy; and
 * every other known header that tells the same kind of fact (another
 * spelling of the client address, the scheme, the host or the port) is
 * removed from every request. From a
 * trusted peer the headers rewrite the CGI variables: REMOTE_ADDR, the
 * scheme, HTTP_HOST/SERVER_NAME and SERVER_PORT. Values that do not parse
 * are ignored (and logged), never passed on as the truth.
 */
#include "sg_proxy.h"
#include "sg_log.h"

#include "apr_lib.h"
#include "apr_network_io.h"
#include "apr_strings.h"
#include "http_core.h"
#include "http_protocol.h"

#include <arpa/inet.h>

/* What a forwarding header tells: once any header of a kind is trusted,
 * every other known header of that kind is removed from every request, so
 * an application (or the framework under it) that reads another spelling
 * of the same fact cannot be fooled by a client. */
enum {
    SG_KIND_ADDRESS = 1, /* the client's address */
    SG_KIND_SCHEME = 2,  /* http or https */
    SG_KIND_HOST = 4,    /* the host the client asked for */
    SG_KIND_PORT = 8,    /* the port the client used */
    SG_KIND_ALL = 15
};

/* One forwarding header: its field name, its CGI variable, its kinds. */
typedef struct sg_fwd_info {
    const char *field;
    const char *cgi;
    unsigned kinds;
} sg_fwd_info;

/* The headers SwiftGateTrustedProxyHeaders may name (sg_fwd_header), then
 * the other spellings proxies and frameworks use, which are never believed
 * and only removed. */
static const sg_fwd_info fwd_info[] = {
    [SG_FWD_FOR] = {"X-Forwarded-For", "HTTP_X_FORWARDED_FOR", SG_KIND_ADDRESS},
    [SG_FWD_CLIENT_IP] = {"X-Client-IP", "HTTP_X_CLIENT_IP", SG_KIND_ADDRESS},
    [SG_FWD_REAL_IP] = {"X-Real-IP", "HTTP_X_REAL_IP", SG_KIND_ADDRESS},
    [SG_FWD_PROTO] = {"X-Forwarded-Proto", "HTTP_X_FORWARDED_PROTO",
                      SG_KIND_SCHEME},
    [SG_FWD_HOST] = {"X-Forwarded-Host", "HTTP_X_FORWARDED_HOST", SG_KIND_HOST},
    [SG_FWD_PORT] = {"X-Forwarded-Port", "HTTP_X_FORWARDED_PORT", SG_KIND_PORT},
    {"Forwarded", "HTTP_FORWARDED", SG_KIND_ALL},
    {"True-Client-IP", "HTTP_TRUE_CLIENT_IP", SG_KIND_ADDRESS},
    {"X-Cluster-Client-IP", "HTTP_X_CLUSTER_CLIENT_IP", SG_KIND_ADDRESS},
    {"CF-Connecting-IP", "HTTP_CF_CONNECTING_IP", SG_KIND_ADDRESS},
    {"X-Forwarded-Scheme", "HTTP_X_FORWARDED_SCHEME", SG_KIND_SCHEME},
    {"X-Scheme", "HTTP_X_SCHEME", SG_KIND_SCHEME},
    {"X-Forwarded-SSL", "HTTP_X_FORWARDED_SSL", SG_KIND_SCHEME},
    {"X-Forwarded-HTTPS", "HTTP_X_FORWARDED_HTTPS", SG_KIND_SCHEME},
    {"Front-End-HTTPS", "HTTP_FRONT_END_HTTPS", SG_KIND_SCHEME},
    {"X-Url-Scheme", "HTTP_X_URL_SCHEME", SG_KIND_SCHEME},
    {"X-Host", "HTTP_X_HOST", SG_KIND_HOST},
    {"X-Forwarded-Server", "HTTP_X_FORWARDED_SERVER", SG_KIND_HOST},
    {"X-Original-Host", "HTTP_X_ORIGINAL_HOST", SG_KIND_HOST},
};

#define SG_FWD_KNOWN ((int)(sizeof(fwd_info) / sizeof(fwd_info[0])))

/* The longest forwarded host accepted (a DNS name and a port). */
#define SG_MAX_HOST 262

/* The known header a name means (case-insensitive), or -1. */
static int known_header(const char *name)
{
    int i;

    for (i = 0; i < SG_FWD_KNOWN; i++) {
        if (!strcasecmp(name, fwd_info[i].field)) {
            return i;
        }
    }
    return -1;
}

int sg_proxy_header_find(const char *name)
{
    int h = known_header(name);

    return h < SG_FWD_COUNT ? h : -1;
}

const char *sg_proxy_parse_network(apr_pool_t *p, const char *arg, void **out)
{
    char *ip = apr_pstrdup(p, arg);
    char *mask = strchr(ip, '/');
    apr_ipsubnet_t *subnet;
    apr_status_t rv;

    if (mask) {
        *mask++ = '\0';
    }
    rv = apr_ipsubnet_create(&subnet, ip, mask, p);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(p,
                            "'%s' is not an IP address or network (such as "
                            "10.0.0.1, 10.0.0.0/8 or fd00::/8)",
                            arg);
    }
    *out = subnet;
    return NULL;
}

static int listed(const sg_proxy_conf *pc, int h)
{
    return h < SG_FWD_COUNT && pc->headers && (pc->mask & (1u << h));
}

/* The kinds the directory's listed headers tell. */
static unsigned trusted_kinds(const sg_proxy_conf *pc)
{
    unsigned kinds = 0;
    int h;

    for (h = 0; h < SG_FWD_COUNT; h++) {
        if (listed(pc, h)) {
            kinds |= fwd_info[h].kinds;
        }
    }
    return kinds;
}

/* Whether known header h is kept from the application: it tells a kind
 * the directory trusts, and it is not a listed header from a trusted
 * peer. */
static int withheld(const sg_proxy_conf *pc, int h, int peer_is_trusted)
{
    return (fwd_info[h].kinds & trusted_kinds(pc))
           && !(peer_is_trusted && listed(pc, h));
}

static int trusted_addr(const sg_proxy_conf *pc, apr_sockaddr_t *sa)
{
    int i;

    if (!pc->trusted) {
        return 0;
    }
    for (i = 0; i < pc->trusted->nelts; i++) {
        if (apr_ipsubnet_test(APR_ARRAY_IDX(pc->trusted, i, apr_ipsubnet_t *),
                              sa)) {
            return 1;
        }
    }
    return 0;
}

static int peer_trusted(request_rec *r, const sg_proxy_conf *pc)
{
    return trusted_addr(pc, r->connection->client_addr);
}

/* A numeric IPv4 or IPv6 address (brackets allowed around IPv6), trimmed;
 * NULL when the text is anything else. No name is ever looked up. */
static const char *numeric_address(apr_pool_t *p, const char *start,
                                   apr_size_t len, apr_sockaddr_t **sa)
{
    unsigned char buf[sizeof(struct in6_addr)];
    char *text;
    int family;

    while (len && apr_isspace(*start)) {
        start++, len--;
    }
    while (len && apr_isspace(start[len - 1])) {
        len--;
    }
    if (len > 2 && start[0] == '[' && start[len - 1] == ']') {
        start++, len -= 2;
    }
    if (len == 0 || len > 45) {
        return NULL;
    }
    text = apr_pstrmemdup(p, start, len);
    if (inet_pton(AF_INET, text, buf) == 1) {
        family = APR_INET;
    }
    else if (inet_pton(AF_INET6, text, buf) == 1) {
        family = APR_INET6;
    }
    else {
        return NULL;
    }
    if (sa && apr_sockaddr_info_get(sa, text, family, 0, 0, p) != APR_SUCCESS) {
        return NULL;
    }
    return text;
}

/* The client address in X-Forwarded-For: the nearest hop, from the right,
 * that is not itself a trusted proxy (the leftmost when all are). */
static const char *forwarded_for(request_rec *r, const sg_proxy_conf *pc,
                                 const char *value)
{
    const char *end = value + strlen(value);
    const char *client = NULL;

    while (end > value) {
        const char *start = end;
        apr_sockaddr_t *sa;
        const char *ip;

        while (start > value && start[-1] != ',') {
            start--;
        }
        ip = numeric_address(r->pool, start, end - start, &sa);
        if (!ip) {
            return NULL;
        }
        client = ip;
        if (!trusted_addr(pc, sa)) {
            break;
        }
        end = start > value ? start - 1 : start;
    }
    return client;
}

/* The first element of a comma-separated value, trimmed. */
static const char *first_item(apr_pool_t *p, const char *value)
{
    const char *end = strchr(value, ',');
    apr_size_t len = end ? (apr_size_t)(end - value) : strlen(value);

    while (len && apr_isspace(*value)) {
        value++, len--;
    }
    while (len && apr_isspace(value[len - 1])) {
        len--;
    }
    return apr_pstrmemdup(p, value, len);
}

/* A host as in a Host field: a DNS name or IPv4 address, or a bracketed
 * IPv6 address, then an optional port. Writes the host part to *name. */
static int valid_host(apr_pool_t *p, const char *host, const char **name)
{
    apr_size_t len = strlen(host), i, end;
    const char *colon;

    if (len == 0 || len > SG_MAX_HOST) {
        return 0;
    }
    if (host[0] == '[') {
        const char *close = strchr(host, ']');
        if (!close || !numeric_address(p, host, close - host + 1, NULL)) {
            return 0;
        }
        end = close - host + 1;
    }
    else {
        for (end = 0; end < len && host[end] != ':'; end++) {
            if (!apr_isalnum(host[end]) && host[end] != '-'
                && host[end] != '.') {
                return 0;
            }
        }
        if (end == 0) {
            return 0;
        }
    }
    colon = host + end;
    if (*colon) {
        if (*colon != ':' || !colon[1]) {
            return 0;
        }
        for (i = 1; colon[i]; i++) {
            if (!apr_isdigit(colon[i])) {
                return 0;
            }
        }
    }
    *name = apr_pstrmemdup(p, host, end);
    return 1;
}

static int valid_port(const char *port)
{
    apr_size_t i;

    for (i = 0; port[i]; i++) {
        if (!apr_isdigit(port[i]) || i >= 5) {
            return 0;
        }
    }
    return i > 0 && atoi(port) >= 1 && atoi(port) <= 65535;
}

static void ignored(request_rec *r, sg_fwd_header h, const char *value)
{
    sg_log_r(APLOG_WARNING, 0, r, SG_LOGNO(00701),
             "%s from trusted proxy %s ignored: '%s' is not a valid value",
             fwd_info[h].field, r->connection->client_ip, value);
}

/* REMOTE_ADDR from the first listed client-address header present. */
static void apply_client_address(request_rec *r, const sg_proxy_conf *pc)
{
    int i;

    for (i = 0; i < pc->headers->nelts; i++) {
        sg_fwd_header h = APR_ARRAY_IDX(pc->headers, i, int);
        const char *value, *ip;

        if (h != SG_FWD_FOR && h != SG_FWD_CLIENT_IP && h != SG_FWD_REAL_IP) {
            continue;
        }
        value = apr_table_getm(r->pool, r->headers_in, fwd_info[h].field);
        if (!value) {
            continue;
        }
        ip = h == SG_FWD_FOR
                 ? forwarded_for(r, pc, value)
                 : numeric_address(r->pool, value, strlen(value), NULL);
        if (!ip) {
            ignored(r, h, value);
            continue;
        }
        apr_table_setn(r->subprocess_env, "REMOTE_ADDR", ip);
        return;
    }
}

const char *sg_proxy_apply(request_rec *r, const sg_proxy_conf *pc)
{
    apr_table_t *env = r->subprocess_env;
    const char *scheme = ap_http_scheme(r);
    const char *value;
    int i, trusted;

    if (!pc || !pc->headers) {
        return scheme;
    }
    trusted = peer_trusted(r, pc);
    for (i = 0; i < SG_FWD_KNOWN; i++) {
        if (withheld(pc, i, trusted) && apr_table_get(env, fwd_info[i].cgi)) {
            sg_log_r(APLOG_DEBUG, 0, r, SG_LOGNO(00702),
                     "%s from %s removed: %s", fwd_info[i].field,
                     r->connection->client_ip,
                     trusted ? "not a header SwiftGateTrustedProxyHeaders "
                               "names"
                             : "not a trusted proxy");
            apr_table_unset(env, fwd_info[i].cgi);
        }
    }
    if (!trusted) {
        return scheme;
    }
    apply_client_address(r, pc);
    if (listed(pc, SG_FWD_PROTO)
        && (value =
                apr_table_get(r->headers_in, fwd_info[SG_FWD_PROTO].field))) {
        const char *proto = first_item(r->pool, value);
        if (!strcasecmp(proto, "https") || !strcasecmp(proto, "http")) {
            scheme = apr_tolower(proto[4]) == 's' ? "https" : "http";
            apr_table_setn(env, "REQUEST_SCHEME", scheme);
            if (scheme[4]) {
                apr_table_setn(env, "HTTPS", "on");
            }
            else {
                apr_table_unset(env, "HTTPS");
            }
        }
        else {
            ignored(r, SG_FWD_PROTO, value);
        }
    }
    if (listed(pc, SG_FWD_HOST)
        && (value =
                apr_table_get(r->headers_in, fwd_info[SG_FWD_HOST].field))) {
        const char *host = first_item(r->pool, value), *name;
        if (valid_host(r->pool, host, &name)) {
            apr_table_setn(env, "HTTP_HOST", host);
            apr_table_setn(env, "SERVER_NAME", name);
        }
        else {
            ignored(r, SG_FWD_HOST, value);
        }
    }
    if (listed(pc, SG_FWD_PORT)
        && (value =
                apr_table_get(r->headers_in, fwd_info[SG_FWD_PORT].field))) {
        const char *port = first_item(r->pool, value);
        if (valid_port(port)) {
            apr_table_setn(env, "SERVER_PORT", port);
        }
        else {
            ignored(r, SG_FWD_PORT, value);
        }
    }
    return scheme;
}

int sg_proxy_hides(request_rec *r, const sg_proxy_conf *pc, const char *name)
{
    int h;

    if (!pc || !pc->headers || (h = known_header(name)) < 0) {
        return 0;
    }
    return withheld(pc, h, peer_trusted(r, pc));
}
