/*
 * mod_swiftgate.c -- the module record and its hooks. Glue only: the
 * concerns live in sg_config (directives), sg_group and sg_daemon (daemon
 * process groups), sg_library (loading applications in children), sg_cgi
 * (the request description), sg_embedded and sg_fcgi (serving a request
 * in either mode) and sg_auth (access checks). This is the one file that
 * hands the configuration to the daemon side.
 */
#define SG_MODULE_MAIN
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mpm_common.h"

#include "apr_strings.h"

#include "sg_auth.h"
#include "sg_config.h"
#include "sg_cgi.h"
#include "sg_daemon.h"
#include "sg_embedded.h"
#include "sg_fcgi.h"
#include "sg_group.h"
#include "sg_library.h"
#include "sg_log.h"
#include "sg_scoreboard.h"
#include "sg_status.h"

/* The mount a URI falls under: the longest URL-path that is the URI itself
 * or a prefix of it ending at a '/'. */
static const sg_alias *match_alias(const sg_server_conf *conf, const char *uri,
                                   apr_size_t *matched)
{
    const sg_alias *a = (const sg_alias *)conf->aliases->elts;
    const sg_alias *best = NULL;
    apr_size_t best_len = 0;
    int i;

    for (i = 0; i < conf->aliases->nelts; i++) {
        apr_size_t len = strlen(a[i].url_path);

        if (len == 1 && a[i].url_path[0] == '/') {
            len = 0; /* the site root: everything, and PATH_INFO keeps the / */
        }
        else if (strncmp(uri, a[i].url_path, len)
                 || (uri[len] != '\0' && uri[len] != '/')) {
            continue;
        }
        if (!best || len > best_len) {
            best = &a[i];
            best_len = len;
        }
    }
    *matched = best_len;
    return best;
}

/* Maps a mounted URL to its library: the filename is the library and the
 * rest of the URL is PATH_INFO, split here rather than left to httpd's
 * directory walk (as ScriptAlias leaves it). The walk still applies the
 * library's <Directory> and <Files> sections and checks its path, but it
 * starts from a file that exists: with Options FollowSymLinks it stats the
 * library once instead of each component of library-plus-rest, and
 * PATH_INFO keeps the URL's own form (MergeSlashes Off keeps "//"). */
static int translate_name(request_rec *r)
{
    const sg_server_conf *conf =
        ap_get_module_config(r->server->module_config, &swiftgate_module);
    const sg_alias *a;
    apr_size_t matched;

    if (!r->uri || r->uri[0] != '/' || !conf->aliases->nelts) {
        return DECLINED;
    }
    a = match_alias(conf, r->uri, &matched);
    if (!a) {
        return DECLINED;
    }
    r->filename = apr_pstrdup(r->pool, a->library);
    r->path_info =
        r->uri[matched] ? apr_pstrdup(r->pool, r->uri + matched) : NULL;
    r->handler = SG_HANDLER;
    ap_set_module_config(r->request_config, &swiftgate_module, (void *)a);
    return OK;
}

static int handler(request_rec *r)
{
    const sg_alias *a;
    const sg_dir_conf *d;
    sg_group *g;
    int rv;

    if (!r->handler || strcmp(r->handler, SG_HANDLER)) {
        return DECLINED;
    }
    a = ap_get_module_config(r->request_config, &swiftgate_module);
    if (!a) {
        sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00001),
                 "handler %s set for %s, which no SwiftGateScriptAlias "
                 "mounts",
                 SG_HANDLER, r->uri);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    d = ap_get_module_config(r->per_dir_config, &swiftgate_module);
    rv = sg_config_route(r, sg_config_process_group(a, d), 0, &g);
    if (rv != OK) {
        return rv;
    }
    return g ? sg_fcgi_handle(r, a, d, g) : sg_embedded_handle(r, a, d);
}

/* The daemon side's settings, from the server-wide directives. */
static void daemon_settings(sg_daemon_settings *settings)
{
    const sg_global_conf *global = sg_config_global();

    memset(settings, 0, sizeof(*settings));
    settings->socket_prefix = global->socket_prefix;
    settings->library = global->daemon_library;
}

static int pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    sg_config_reset(pconf);
    sg_group_reset(pconf);
    return OK;
}

/* The mounts' checks, then daemon mode's. */
static int check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                        server_rec *s)
{
    sg_daemon_settings settings;
    int rv = sg_config_check(pconf, s);

    if (rv != OK) {
        return rv;
    }
    daemon_settings(&settings);
    return sg_daemon_check(pconf, s, sg_group_all(), &settings);
}

static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *s)
{
    sg_daemon_settings settings;
    apr_status_t rv;

    /* The scoreboard, before anything forks (not in the trial pass). */
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG
        && (rv = sg_scoreboard_create(pconf, sg_group_all(),
                                      !sg_config_global()->restrict_embedded))
               != APR_SUCCESS) {
        sg_log_s(APLOG_CRIT, rv, s, SG_LOGNO(00005),
                 "cannot map the scoreboard's shared memory");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    daemon_settings(&settings);
    settings.libraries = sg_config_daemon_apps(pconf, s);
    return sg_daemon_start_all(pconf, s, sg_group_all(), &settings);
}

static void child_init(apr_pool_t *p, server_rec *s)
{
    apr_status_t rv;

    sg_daemon_child_init(sg_group_all());
    sg_cgi_mpm_init();
    rv = sg_library_child_init(p, s);
    if (rv != APR_SUCCESS) {
        sg_log_s(APLOG_CRIT, rv, s, SG_LOGNO(00002),
                 "cannot set up the application table");
        return;
    }
    if (!sg_config_global()->restrict_embedded) {
        sg_scoreboard_child_init(sg_library_host());
    }
    sg_embedded_child_init(p, s);
}

static int monitor(apr_pool_t *p, server_rec *s)
{
    sg_daemon_monitor();
    return DECLINED;
}

static void register_hooks(apr_pool_t *p)
{
    /* After mod_alias, so that an Alias for static files inside a mount
     * point (Alias /static ...) wins over the application. */
    static const char *const after_alias[] = {"mod_alias.c", NULL};

    ap_hook_pre_config(pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_monitor(monitor, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_translate_name(translate_name, after_alias, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(sg_status_handler, NULL, NULL, APR_HOOK_MIDDLE);
    sg_auth_register(p);
}

AP_DECLARE_MODULE(swiftgate) = {
    STANDARD20_MODULE_STUFF, /* the module API version */
    sg_config_create_dir,    /* per-directory records */
    sg_config_merge_dir,     /* merging them */
    sg_config_create_server, /* per-server records */
    sg_config_merge_server,  /* merging them */
    sg_config_cmds,          /* the directives */
    register_hooks,
};
