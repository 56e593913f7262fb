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

/* The header a name means (case-insensitive), or -1. */
int sg_proxy_header_find(const char *name);

/* Parses one SwiftGateTrustedProxies argument (an address or a network in
 * CIDR or APR's partial-address form) into *out; NULL or an error text. */
const char *sg_proxy_parse_network(apr_pool_t *p, const char *arg, void **out);

/* Rewrites the CGI variables in r->subprocess_env (already filled by
 * ap_add_common_vars) by the directory's settings: from an untrusted peer
 * every listed header's HTTP_* variable is removed; from a trusted one
 * REMOTE_ADDR, HTTPS/REQUEST_SCHEME, HTTP_HOST/SERVER_NAME and SERVER_PORT
 * follow the listed headers. Returns the scheme the client used. */
const char *sg_proxy_apply(request_rec *r);

/* Whether a request header field is withheld from the application: a
 * listed forwarding header sent by an untrusted peer. */
int sg_proxy_hides(request_rec *r, const char *name);

#endif /* SG_PROXY_H */
