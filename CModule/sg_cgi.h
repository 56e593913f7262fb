/*
 * sg_cgi.h -- the request description both modes send: CGI/1.1 variables
 * computed by httpd itself, swiftgate.* keys, and the header fields.
 */
#ifndef SG_CGI_H
#define SG_CGI_H

#include "httpd.h"
#include "swiftgate.h"

#include "sg_proxy.h"

/* Name-value pairs as the ABI takes them. */
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
    const char *request_id;           /* sg_cgi_request_id's, or NULL */
    apr_interval_time_t slow_request; /* 0: none */
} sg_runinfo;

/*
 * The request's id, made once per request (kept in r->notes): mod_unique_id's
 * UNIQUE_ID, else the value of header when one is named and it holds 1 to
 * 64 letters, digits or -_.:@+=/, else one made here.
 * @param r the request
 * @param header SwiftGateRequestIdHeader's field name, or NULL
 * @return the id, from r's pool
 */
const char *sg_cgi_request_id(request_rec *r, const char *header);

/*
 * The environ of a request: ap_add_common_vars and the CGI/1.1 request
 * variables (as mod_cgi), forwarding headers applied or removed
 * (sg_proxy_apply), then the swiftgate.* keys.
 * @param r the request; its subprocess_env is filled in on the way
 * @param info what the swiftgate.* keys report
 * @param proxy the directory's forwarding header settings, or NULL
 * @param pass_auth whether HTTP_AUTHORIZATION is kept
 * @return the pairs, pointing into r's pool and tables
 */
sg_pairs sg_cgi_environ(request_rec *r, const sg_runinfo *info,
                        const sg_proxy_conf *proxy, int pass_auth);

/*
 * The request header fields an application sees: Authorization only when
 * pass_auth, Proxy-Authorization never, forwarding headers only as
 * sg_proxy_hides allows. Call after sg_cgi_environ: Host follows its
 * HTTP_HOST.
 * @param r the request
 * @param proxy the directory's forwarding header settings, or NULL
 * @param pass_auth whether Authorization is shown
 * @return the pairs, pointing into r's pool and tables
 */
sg_pairs sg_cgi_headers(request_rec *r, const sg_proxy_conf *proxy,
                        int pass_auth);

/* Whether this child runs requests on several threads, and whether the
 * server has several children, for embedded mode's swiftgate.* keys: set
 * by sg_cgi_mpm_init, read-only afterwards. */
extern int sg_cgi_multithread, sg_cgi_multiprocess;

/*
 * Asks the MPM its shape once per child (child_init, before any request):
 * its limits do not change while a child lives. Sets sg_cgi_multithread
 * and sg_cgi_multiprocess, and remembers the child's pid for request ids.
 */
void sg_cgi_mpm_init(void);

#endif /* SG_CGI_H */
