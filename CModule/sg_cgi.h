/*
 * sg_cgi.h -- the request description both modes send: CGI/1.1 variables
 * computed by httpd itself, swiftgate.* keys, and the header fields.
 */
#ifndef SG_CGI_H
#define SG_CGI_H

#include "httpd.h"
#include "swiftgate.h"

typedef struct sg_pairs {
    swiftgate_pair *items;
    apr_size_t count;
} sg_pairs;

/* What a request's environ reports about where it runs. */
typedef struct sg_runinfo {
    const char *process_group; /* "" in embedded mode */
    const char *application_group;
    const char *callable;
    int multithread;
    int multiprocess;
} sg_runinfo;

/* The environ: ap_add_common_vars + ap_add_cgi_vars (as mod_cgi) with
 * HTTP_AUTHORIZATION only when pass_auth, forwarding headers applied or
 * removed (sg_proxy.h), plus the swiftgate.* keys. */
sg_pairs sg_cgi_environ(request_rec *r, const sg_runinfo *info, int pass_auth);

/* The request header fields; Authorization only when pass_auth,
 * Proxy-Authorization never, forwarding headers only from trusted proxies.
 * Call after sg_cgi_environ (Host follows its HTTP_HOST). */
sg_pairs sg_cgi_headers(request_rec *r, int pass_auth);

/* Whether this child runs requests on several threads, and whether the
 * server has several children: asked of the MPM once, by
 * sg_mpm_shape_init in child_init (its limits do not change while a child
 * lives). */
extern int sg_mpm_multithread, sg_mpm_multiprocess;
void sg_mpm_shape_init(void);

#endif /* SG_CGI_H */
