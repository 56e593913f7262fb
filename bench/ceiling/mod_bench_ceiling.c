/* mod_bench_ceiling: the benchmark's "ceiling" — the hello application
 * written as a plain Apache handler, so that a gateway's cost can be read
 * as its distance from this. It serves the same routes and bytes as
 * bench/hello-swift:
 *   /               "Hello, World!\n"
 *   /64k            65,536 bytes of "x"
 *   /echo           POST: the request body, streamed back
 *   /download?mib=N N MiB of "x" in 64 KiB writes
 *
 *   BenchCeilingAlias URL-path FILE
 * mounts it the way SwiftGateScriptAlias mounts a library (translate_name
 * sets the filename to FILE and PATH_INFO to the rest of the URL, and the
 * directory walk applies FILE's sections), so both pay for the same
 * request processing in httpd and differ only in what the handler does.
 * Built with apxs by bench/run. */

#include "apr_strings.h"
#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#define BENCH_HANDLER "bench-ceiling"
#define BENCH_BLOCK 65536
#define BENCH_MAX_MIB 4096

module AP_MODULE_DECLARE_DATA bench_ceiling_module;

typedef struct {
    const char *url_path;
    const char *file;
} bench_conf;

static const char hello[] = "Hello, World!\n";
static char block[BENCH_BLOCK];

static void *create_server_conf(apr_pool_t *p, server_rec *s)
{
    return apr_pcalloc(p, sizeof(bench_conf));
}

static const char *set_alias(cmd_parms *cmd, void *dummy, const char *url,
                             const char *file)
{
    bench_conf *conf =
        ap_get_module_config(cmd->server->module_config, &bench_ceiling_module);

    conf->url_path = url;
    conf->file = file;
    return NULL;
}

static int translate(request_rec *r)
{
    const bench_conf *conf =
        ap_get_module_config(r->server->module_config, &bench_ceiling_module);
    apr_size_t len;

    if (!conf->url_path || !r->uri) {
        return DECLINED;
    }
    len = strlen(conf->url_path);
    if (strncmp(r->uri, conf->url_path, len)
        || (r->uri[len] != '\0' && r->uri[len] != '/')) {
        return DECLINED;
    }
    r->filename = apr_pstrdup(r->pool, conf->file);
    r->path_info = r->uri[len] ? apr_pstrdup(r->pool, r->uri + len) : NULL;
    r->handler = BENCH_HANDLER;
    return OK;
}

/* Sends len bytes of static memory and ends the response. */
static int send_static(request_rec *r, const char *bytes, apr_size_t len)
{
    apr_bucket_brigade *bb =
        apr_brigade_create(r->pool, r->connection->bucket_alloc);

    ap_set_content_type(r, "text/plain; charset=utf-8");
    ap_set_content_length(r, len);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_immortal_create(
                                    bytes, len, r->connection->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb,
                            apr_bucket_eos_create(r->connection->bucket_alloc));
    return ap_pass_brigade(r->output_filters, bb) == APR_SUCCESS ? OK
                                                                 : AP_FILTER_ERROR;
}

/* Passes the request body to the client as it arrives: the buckets read
 * move to the output as they are, and the body's EOS ends the response. */
static int echo(request_rec *r)
{
    apr_bucket_alloc_t *ba = r->connection->bucket_alloc;
    apr_bucket_brigade *bb = apr_brigade_create(r->pool, ba);
    int seen_eos = 0;

    ap_set_content_type(r, "application/octet-stream");
    while (!seen_eos) {
        apr_bucket *b;

        if (ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES,
                           APR_BLOCK_READ, BENCH_BLOCK)
            != APR_SUCCESS) {
            return AP_FILTER_ERROR;
        }
        for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
             b = APR_BUCKET_NEXT(b)) {
            if (APR_BUCKET_IS_EOS(b)) {
                seen_eos = 1;
            }
        }
        if (ap_pass_brigade(r->output_filters, bb) != APR_SUCCESS) {
            return AP_FILTER_ERROR;
        }
        apr_brigade_cleanup(bb);
    }
    return OK;
}

static int download(request_rec *r)
{
    apr_bucket_alloc_t *ba = r->connection->bucket_alloc;
    apr_bucket_brigade *bb = apr_brigade_create(r->pool, ba);
    const char *arg = r->args ? ap_strstr_c(r->args, "mib=") : NULL;
    apr_int64_t mib = arg ? apr_atoi64(arg + 4) : 1;
    apr_int64_t i;

    if (mib < 0 || mib > BENCH_MAX_MIB) {
        mib = 1;
    }
    ap_set_content_type(r, "application/octet-stream");
    for (i = 0; i < mib * (1024 * 1024 / BENCH_BLOCK); i++) {
        APR_BRIGADE_INSERT_TAIL(
            bb, apr_bucket_immortal_create(block, BENCH_BLOCK, ba));
        if (ap_pass_brigade(r->output_filters, bb) != APR_SUCCESS) {
            return AP_FILTER_ERROR;
        }
        apr_brigade_cleanup(bb);
    }
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba));
    return ap_pass_brigade(r->output_filters, bb) == APR_SUCCESS ? OK
                                                                 : AP_FILTER_ERROR;
}

static int handler(request_rec *r)
{
    const char *route;

    if (!r->handler || strcmp(r->handler, BENCH_HANDLER)) {
        return DECLINED;
    }
    route = r->path_info && *r->path_info ? r->path_info : "/";
    if (!strcmp(route, "/")) {
        return send_static(r, hello, sizeof(hello) - 1);
    }
    if (!strcmp(route, "/64k")) {
        return send_static(r, block, sizeof(block));
    }
    if (!strcmp(route, "/echo") && r->method_number == M_POST) {
        return echo(r);
    }
    if (!strcmp(route, "/download")) {
        return download(r);
    }
    return HTTP_NOT_FOUND;
}

static int post_config(apr_pool_t *p, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *s)
{
    memset(block, 'x', sizeof(block));
    return OK;
}

static const command_rec cmds[] = {
    AP_INIT_TAKE2("BenchCeilingAlias", set_alias, NULL, RSRC_CONF,
                  "BenchCeilingAlias URL-path FILE: mounts the handler"),
    {NULL}};

static void register_hooks(apr_pool_t *p)
{
    static const char *const after_alias[] = {"mod_alias.c", NULL};

    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_translate_name(translate, after_alias, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(bench_ceiling) = {
    STANDARD20_MODULE_STUFF, NULL, NULL, create_server_conf, NULL, cmds,
    register_hooks};
