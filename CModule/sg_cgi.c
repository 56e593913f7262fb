/*
 * sg_cgi.c -- building the request description from httpd's own CGI
 * variables.
 */
#include "sg_cgi.h"
#include "sg_proxy.h"

#include "apr_atomic.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "ap_mpm.h"
#include "http_core.h"
#include "http_protocol.h"
#include "util_script.h"

#include "swiftgate.h"

#include <unistd.h>

static void set_pair(swiftgate_pair *p, const char *name, const char *value)
{
    p->name = name;
    p->name_len = strlen(name);
    p->value = value ? value : "";
    p->value_len = strlen(p->value);
}

int sg_cgi_multithread, sg_cgi_multiprocess;

/* This Apache child's pid, for request ids (0 before sg_cgi_mpm_init). */
static pid_t child_pid;

void sg_cgi_mpm_init(void)
{
    int threads = 1, daemons = 1;

    child_pid = getpid();

    ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads);
    ap_mpm_query(AP_MPMQ_MAX_DAEMONS, &daemons);
    sg_cgi_multithread = threads > 1;
    sg_cgi_multiprocess = daemons > 1;
}

/* The request-target as the client sent it: the second word of the
 * request line (r->uri is decoded and may have been rewritten). */
static const char *request_target(request_rec *r)
{
    const char *start = r->the_request, *end;

    if (!start) {
        return r->uri;
    }
    while (*start && !apr_isspace(*start)) {
        start++;
    }
    while (apr_isspace(*start)) {
        start++;
    }
    for (end = start; *end && !apr_isspace(*end); end++) {
    }
    return apr_pstrmemdup(r->pool, start, end - start);
}

/* CGI/1.1's request variables, as ap_add_cgi_vars sets them, but with
 * PATH_TRANSLATED as DOCUMENT_ROOT joined with PATH_INFO: httpd computes it
 * with a subrequest (a second URL mapping and access check per request),
 * which costs more than the whole application call and which nothing here
 * needs. */
static void add_cgi_vars(request_rec *r)
{
    apr_table_t *env = r->subprocess_env;

    apr_table_setn(env, "GATEWAY_INTERFACE", "CGI/1.1");
    apr_table_setn(env, "SERVER_PROTOCOL", r->protocol);
    apr_table_setn(env, "REQUEST_METHOD", r->method);
    apr_table_setn(env, "QUERY_STRING", r->args ? r->args : "");
    apr_table_setn(env, "REQUEST_URI", request_target(r));
    if (r->path_info && *r->path_info) {
        apr_size_t ulen = strlen(r->uri), plen = strlen(r->path_info);
        /* The mount split the URL itself (translate_name): PATH_INFO is the
         * URL's own tail, and SCRIPT_NAME what comes before it. Otherwise
         * httpd's rule, which lets repeated slashes differ. */
        int split = plen <= ulen && !strcmp(r->uri + ulen - plen, r->path_info)
                        ? (int)(ulen - plen)
                        : ap_find_path_info(r->uri, r->path_info);

        apr_table_setn(env, "SCRIPT_NAME",
                       apr_pstrndup(r->pool, r->uri, split));
        apr_table_setn(env, "PATH_INFO", r->path_info);
        apr_table_setn(
            env, "PATH_TRANSLATED",
            apr_pstrcat(r->pool, ap_document_root(r), r->path_info, NULL));
    }
    else {
        apr_table_setn(env, "SCRIPT_NAME", r->uri);
    }
}

sg_pairs sg_cgi_environ(request_rec *r, const sg_runinfo *info,
                        const sg_proxy_conf *proxy, int pass_auth)
{
    const apr_array_header_t *arr;
    const apr_table_entry_t *e;
    const char *scheme;
    sg_pairs out;
    int i;

    ap_add_common_vars(r);
    add_cgi_vars(r);
    scheme = sg_proxy_apply(r, proxy);
    if (pass_auth) {
        const char *auth = apr_table_get(r->headers_in, "Authorization");
        if (auth) {
            apr_table_setn(r->subprocess_env, "HTTP_AUTHORIZATION", auth);
        }
    }
    else {
        /* Also when core's CGIPassAuth put it there. */
        apr_table_unset(r->subprocess_env, "HTTP_AUTHORIZATION");
    }

    arr = apr_table_elts(r->subprocess_env);
    e = (const apr_table_entry_t *)arr->elts;
    out.items = apr_palloc(r->pool, sizeof(swiftgate_pair) * (arr->nelts + 9));
    out.count = 0;
    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key) {
            set_pair(&out.items[out.count++], e[i].key, e[i].val);
        }
    }
    set_pair(&out.items[out.count++], SWIFTGATE_ENV_URL_SCHEME, scheme);
    set_pair(&out.items[out.count++], SWIFTGATE_ENV_MULTITHREAD,
             info->multithread ? "1" : "0");
    set_pair(&out.items[out.count++], SWIFTGATE_ENV_MULTIPROCESS,
             info->multiprocess ? "1" : "0");
    set_pair(&out.items[out.count++], SWIFTGATE_ENV_PROCESS_GROUP,
             info->process_group);
    set_pair(&out.items[out.count++], SWIFTGATE_ENV_APPLICATION_GROUP,
             info->application_group);
    set_pair(&out.items[out.count++], SWIFTGATE_ENV_CALLABLE_OBJECT,
             info->callable);
    set_pair(&out.items[out.count++], SWIFTGATE_ENV_VERSION,
             SWIFTGATE_INTERFACE_VERSION);
    if (info->request_id) {
        set_pair(&out.items[out.count++], SWIFTGATE_ENV_REQUEST_ID,
                 info->request_id);
    }
    if (info->slow_request > 0) {
        set_pair(&out.items[out.count++], SWIFTGATE_PARAM_SLOW_REQUEST,
                 apr_ltoa(r->pool, (long)apr_time_sec(info->slow_request)));
    }
    return out;
}

/* What a request id may hold: enough for UUIDs, mod_unique_id's ids and
 * the usual tracing ids, nothing that could break a log line. */
#define SG_REQUEST_ID_MAX 64

static int request_id_ok(const char *id)
{
    const char *c;

    for (c = id; *c; c++) {
        if (!apr_isalnum(*c) && !strchr("-_.:@+=/", *c)) {
            return 0;
        }
    }
    return c > id && c - id <= SG_REQUEST_ID_MAX;
}

const char *sg_cgi_request_id(request_rec *r, const char *header)
{
    /* One count for the whole process: two threads may start requests in
     * the same microsecond. */
    static apr_uint32_t counter;
    const char *id = apr_table_get(r->notes, "swiftgate-request-id");

    if (id) {
        return id;
    }
    id = apr_table_get(r->subprocess_env, "UNIQUE_ID");
    if (!id || !request_id_ok(id)) {
        id = header ? apr_table_get(r->headers_in, header) : NULL;
    }
    if (!id || !request_id_ok(id)) {
        /* Unique on this host: the time, the process and the process's
         * count. */
        id = apr_psprintf(r->pool, "%" APR_UINT64_T_HEX_FMT "-%lx-%x",
                          (apr_uint64_t)r->request_time,
                          (long)(child_pid ? child_pid : getpid()),
                          apr_atomic_inc32(&counter) + 1);
    }
    apr_table_setn(r->notes, "swiftgate-request-id", id);
    return id;
}

sg_pairs sg_cgi_headers(request_rec *r, const sg_proxy_conf *proxy,
                        int pass_auth)
{
    const apr_array_header_t *arr = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    sg_pairs out;
    int i;

    out.items = apr_palloc(r->pool, sizeof(swiftgate_pair) * (arr->nelts + 1));
    out.count = 0;
    for (i = 0; i < arr->nelts; i++) {
        if (!e[i].key || !strcasecmp(e[i].key, "Proxy-Authorization")
            || (!pass_auth && !strcasecmp(e[i].key, "Authorization"))
            || sg_proxy_hides(r, proxy, e[i].key)) {
            continue;
        }
        if (!strcasecmp(e[i].key, "Host")) {
            /* As HTTP_HOST: X-Forwarded-Host from a trusted proxy. */
            const char *host = apr_table_get(r->subprocess_env, "HTTP_HOST");
            set_pair(&out.items[out.count++], e[i].key, host ? host : e[i].val);
            continue;
        }
        set_pair(&out.items[out.count++], e[i].key, e[i].val);
    }
    return out;
}
