/*
 * sg_proxy.h -- SwiftGateTrustedProxies and SwiftGateTrustedProxyHeaders:
 * forwarding headers are believed from trusted peers only and removed from
 * everyone else's requests.
 */
#ifndef SG_PROXY_H
#define SG_PROXY_H

#include "httpd.h"

/* The forwarding headers SwiftGateTrustedProxyHeaders may name. */
typedef enum sg_fwd_header {
    SG_FWD_FOR,       /* X-Forwarded-For: client, proxy1, proxy2 */
    SG_FWD_CLIENT_IP, /* X-Client-IP: the client address */
    SG_FWD_REAL_IP,   /* X-Real-IP: the client address */
    SG_FWD_PROTO,     /* X-Forwarded-Proto: http or https */
    SG_FWD_HOST,      /* X-Forwarded-Host: the Host the client sent */
    SG_FWD_PORT,      /* X-Forwarded-Port: the port the client used */
    SG_FWD_COUNT
} sg_fwd_header;

/* A directory's SwiftGateTrustedProxies and SwiftGateTrustedProxyHeaders
 * (a part of its sg_dir_conf). */
typedef struct sg_proxy_conf {
    /* The trusted peers: apr_ipsubnet_t *; NULL unset. */
    apr_array_header_t *trusted;
    /* The headers to believe from them: sg_fwd_header (int) in the order
     * given, and the same as a bit mask; NULL unset. */
    apr_array_header_t *headers;
    unsigned mask;
} sg_proxy_conf;

/*
 * Looks up a forwarding header SwiftGateTrustedProxyHeaders may name.
 * @param name the field name, in any case
 * @return its sg_fwd_header, or -1
 */
int sg_proxy_header_find(const char *name);

/*
 * Parses one SwiftGateTrustedProxies argument: an address or a network in
 * CIDR or APR's partial-address form.
 * @param p the configuration pool
 * @param arg the argument
 * @param out the network (apr_ipsubnet_t *)
 * @return NULL, or an error text naming arg
 */
const char *sg_proxy_parse_network(apr_pool_t *p, const char *arg, void **out);

/*
 * Rewrites the CGI variables in r->subprocess_env (already filled by
 * ap_add_common_vars) by a directory's settings: from an untrusted peer
 * every variable of a forwarding header of a kind the directory trusts is
 * removed; from a trusted one REMOTE_ADDR, HTTPS/REQUEST_SCHEME,
 * HTTP_HOST/SERVER_NAME and SERVER_PORT follow the listed headers.
 * @param r the request
 * @param pc the directory's settings, or NULL (nothing is trusted)
 * @return the scheme the client used, "http" or "https"
 */
const char *sg_proxy_apply(request_rec *r, const sg_proxy_conf *pc);

/*
 * Whether a request header field is withheld from the application: a
 * forwarding header of a trusted kind that is not a listed one from a
 * trusted peer.
 * @param r the request
 * @param pc the directory's settings, or NULL
 * @param name the field name
 * @return 1 when withheld, else 0
 */
int sg_proxy_hides(request_rec *r, const sg_proxy_conf *pc, const char *name);

#endif /* SG_PROXY_H */
