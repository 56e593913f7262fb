/*
 * sg_config.c -- mod_swiftgate's directives. Owns the records, the directive
 * handlers and the table, and the startup checks; key=value options are
 * parsed from tables of {name, parser, offset} (sg_options.c).
 */
#include "sg_config.h"
#include "sg_group.h"
#include "sg_log.h"
#include "sg_library.h"
#include "sg_options.h"
#include "sg_proxy.h"

#include "apr_network_io.h"
#include "apr_strings.h"
#include "http_core.h"
#include "unixd.h"

#include "swiftgate.h"

sg_global_conf sg_global;

/* SwiftGateDaemonProcess defaults. One process with a pool of threads is
 * what most sites need; more processes buy crash isolation and use more
 * cores, at the price of memory per process. */
#define SG_DEFAULT_PROCESSES 1
/* Threads serve requests at once in one process: enough to keep a slow
 * request from holding up the rest, few enough to bound the memory of
 * stacks and connections. */
#define SG_DEFAULT_THREADS 15
/* Connections Apache's children may queue on a group's socket while every
 * daemon thread is busy or a daemon is restarting. */
#define SG_DEFAULT_LISTEN_BACKLOG 100
/* How long a request waits for a daemon to accept its connection before
 * it is answered 503: longer than a daemon takes to restart. */
#define SG_DEFAULT_CONNECT_TIMEOUT apr_time_from_sec(15)
/* How long a daemon being recycled or replaced by a graceful restart may
 * take to finish the requests it is serving. */
#define SG_DEFAULT_GRACEFUL_TIMEOUT apr_time_from_sec(15)
/* How long a daemon may take to stop when Apache stops, before it is
 * killed. */
#define SG_DEFAULT_SHUTDOWN_TIMEOUT apr_time_from_sec(5)

/* ---- records ---- */

void *sg_create_server_conf(apr_pool_t *p, server_rec *s)
{
    sg_server_conf *conf = apr_pcalloc(p, sizeof(*conf));

    conf->aliases = apr_array_make(p, 4, sizeof(sg_alias));
    return conf;
}

void *sg_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    sg_server_conf *base = basev, *add = addv;
    sg_server_conf *conf = apr_pcalloc(p, sizeof(*conf));

    /* A virtual host's own mounts come first, then the main server's. */
    conf->aliases = apr_array_append(p, add->aliases, base->aliases);
    return conf;
}

void *sg_create_dir_conf(apr_pool_t *p, char *dir)
{
    sg_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    conf->pass_authorization = SG_UNSET;
    return conf;
}

void *sg_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    sg_dir_conf *base = basev, *add = addv;
    sg_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    conf->callable = add->callable ? add->callable : base->callable;
    conf->app_group = add->app_group ? add->app_group : base->app_group;
    conf->process_group =
        add->process_group ? add->process_group : base->process_group;
    conf->auth_user = add->auth_user ? add->auth_user : base->auth_user;
    conf->auth_group = add->auth_group ? add->auth_group : base->auth_group;
    conf->access = add->access ? add->access : base->access;
    conf->trusted_proxies =
        add->trusted_proxies ? add->trusted_proxies : base->trusted_proxies;
    if (add->proxy_headers) {
        conf->proxy_headers = add->proxy_headers;
        conf->proxy_headers_mask = add->proxy_headers_mask;
    }
    else {
        conf->proxy_headers = base->proxy_headers;
        conf->proxy_headers_mask = base->proxy_headers_mask;
    }
    conf->pass_authorization = add->pass_authorization != SG_UNSET
                                   ? add->pass_authorization
                                   : base->pass_authorization;
    return conf;
}

const char *sg_effective_callable(const sg_alias *a, const sg_dir_conf *d)
{
    if (a->callable) {
        return a->callable;
    }
    return d && d->callable ? d->callable : SWIFTGATE_DEFAULT_CALLABLE;
}

const char *sg_effective_app_group(const sg_alias *a, const sg_dir_conf *d)
{
    if (a->app_group) {
        return a->app_group;
    }
    return d && d->app_group ? d->app_group : "";
}

const char *sg_effective_process_group(const sg_alias *a, const sg_dir_conf *d)
{
    if (a->process_group) {
        return a->process_group;
    }
    return d && d->process_group ? d->process_group : "";
}

/* ---- directive handlers ---- */

static const char *cmd_script_alias(cmd_parms *cmd, void *dummy, int argc,
                                    char *const argv[])
{
    sg_server_conf *conf =
        ap_get_module_config(cmd->server->module_config, &swiftgate_module);
    sg_alias *a;
    const char *err;
    apr_size_t len;
    int i;

    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT))) {
        return err;
    }
    if (argc < 2) {
        return "SwiftGateScriptAlias: expected URL-path and library path";
    }
    if (argv[0][0] != '/') {
        return apr_psprintf(cmd->pool,
                            "SwiftGateScriptAlias: URL-path must start with "
                            "'/', got '%s'",
                            argv[0]);
    }
    a = apr_array_push(conf->aliases);
    memset(a, 0, sizeof(*a));
    a->url_path = apr_pstrdup(cmd->pool, argv[0]);
    len = strlen(a->url_path);
    while (len > 1 && a->url_path[len - 1] == '/') {
        ((char *)a->url_path)[--len] = '\0';
    }
    a->library = ap_server_root_relative(cmd->pool, argv[1]);
    if (!a->library) {
        return apr_psprintf(cmd->pool,
                            "SwiftGateScriptAlias: invalid library path '%s'",
                            argv[1]);
    }
    if ((err = sg_library_check_file(cmd->temp_pool, a->library))) {
        return apr_psprintf(cmd->pool, "SwiftGateScriptAlias: %s", err);
    }
    a->config_file = cmd->directive->filename;
    a->config_line = cmd->directive->line_num;
    for (i = 2; i < argc; i++) {
        if ((err = sg_parse_option(cmd, sg_alias_options, a, argv[i]))) {
            return err;
        }
    }
    return NULL;
}

static const char *cmd_callable(cmd_parms *cmd, void *dconf, const char *arg)
{
    sg_dir_conf *conf = dconf;

    if (sg_parse_symbol(cmd, arg, &conf->callable)) {
        return apr_psprintf(cmd->pool,
                            "SwiftGateCallableObject: '%s' is not a C symbol "
                            "name",
                            arg);
    }
    return NULL;
}

static const char *cmd_app_group(cmd_parms *cmd, void *dconf, const char *arg)
{
    sg_dir_conf *conf = dconf;

    return sg_parse_group(cmd, arg, &conf->app_group);
}

static const char *cmd_pass_auth(cmd_parms *cmd, void *dconf, int on)
{
    sg_dir_conf *conf = dconf;

    conf->pass_authorization = on;
    return NULL;
}

/* Each directive line adds to the list; a directory's own list replaces
 * the one it inherits. */
static const char *cmd_trusted_proxy(cmd_parms *cmd, void *dconf,
                                     const char *arg)
{
    sg_dir_conf *conf = dconf;
    void *subnet;
    const char *err = sg_proxy_parse_network(cmd->pool, arg, &subnet);

    if (err) {
        return apr_pstrcat(cmd->pool, "SwiftGateTrustedProxies: ", err, NULL);
    }
    if (!conf->trusted_proxies) {
        conf->trusted_proxies =
            apr_array_make(cmd->pool, 4, sizeof(apr_ipsubnet_t *));
    }
    APR_ARRAY_PUSH(conf->trusted_proxies, void *) = subnet;
    return NULL;
}

static const char *cmd_trusted_proxy_header(cmd_parms *cmd, void *dconf,
                                            const char *arg)
{
    sg_dir_conf *conf = dconf;
    int h = sg_proxy_header_find(arg);

    if (h < 0) {
        return apr_psprintf(cmd->pool,
                            "SwiftGateTrustedProxyHeaders: unknown header "
                            "'%s' (known: X-Forwarded-For, X-Forwarded-Proto, "
                            "X-Forwarded-Host, X-Forwarded-Port, X-Client-IP, "
                            "X-Real-IP)",
                            arg);
    }
    if (!conf->proxy_headers) {
        conf->proxy_headers = apr_array_make(cmd->pool, 4, sizeof(int));
    }
    if (!(conf->proxy_headers_mask & (1u << h))) {
        APR_ARRAY_PUSH(conf->proxy_headers, int) = h;
        conf->proxy_headers_mask |= 1u << h;
    }
    return NULL;
}

static const char *cmd_daemon_process(cmd_parms *cmd, void *dummy, int argc,
                                      char *const argv[])
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    sg_group *g;
    int i;

    if (err) {
        return err;
    }
    if (argc < 1 || !*argv[0]) {
        return "SwiftGateDaemonProcess: expected a group name";
    }
    if (sg_group_find(argv[0])) {
        return apr_psprintf(cmd->pool,
                            "SwiftGateDaemonProcess: group '%s' is already "
                            "defined",
                            argv[0]);
    }
    g = apr_array_push(sg_groups());
    memset(g, 0, sizeof(*g));
    g->name = apr_pstrdup(cmd->pool, argv[0]);
    g->processes = SG_DEFAULT_PROCESSES;
    g->threads = SG_DEFAULT_THREADS;
    g->env = apr_array_make(cmd->pool, 2, sizeof(const char *));
    g->umask = -1;
    g->listen_backlog = SG_DEFAULT_LISTEN_BACKLOG;
    g->connect_timeout = SG_DEFAULT_CONNECT_TIMEOUT;
    g->graceful_timeout = SG_DEFAULT_GRACEFUL_TIMEOUT;
    g->shutdown_timeout = SG_DEFAULT_SHUTDOWN_TIMEOUT;
    g->reload_on_change = 1;
    g->listen_fd = -1;
    g->config_file = cmd->directive->filename;
    g->config_line = cmd->directive->line_num;
    for (i = 1; i < argc; i++) {
        if ((err = sg_parse_option(cmd, sg_group_options, g, argv[i]))) {
            return err;
        }
    }
    if (!g->display_name) {
        g->display_name = apr_psprintf(cmd->pool, "(swiftgate:%s)", g->name);
    }
    return NULL;
}

/* SwiftGateAuthUserScript and friends: cmd->info is the sg_dir_conf field. */
static const char *cmd_check_script(cmd_parms *cmd, void *dconf, int argc,
                                    char *const argv[])
{
    sg_script *script = apr_pcalloc(cmd->pool, sizeof(*script));
    const char *err;
    int i;

    if (argc < 1) {
        return apr_psprintf(cmd->pool, "%s: expected a library path",
                            cmd->cmd->name);
    }
    script->library = ap_server_root_relative(cmd->pool, argv[0]);
    if (!script->library) {
        return apr_psprintf(cmd->pool, "%s: invalid library path '%s'",
                            cmd->cmd->name, argv[0]);
    }
    if ((err = sg_library_check_file(cmd->temp_pool, script->library))) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err);
    }
    for (i = 1; i < argc; i++) {
        if ((err = sg_parse_option(cmd, sg_script_options, script, argv[i]))) {
            return err;
        }
    }
    *(const char **)apr_array_push(sg_global.check_libraries) = script->library;
    *(const sg_script **)((char *)dconf + (apr_size_t)cmd->info) = script;
    return NULL;
}

static const char *cmd_process_group(cmd_parms *cmd, void *dconf,
                                     const char *arg)
{
    sg_dir_conf *conf = dconf;

    return sg_parse_group(cmd, arg, &conf->process_group);
}

static const char *cmd_global_path(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const char **field =
        (const char **)((char *)&sg_global + (apr_size_t)cmd->info);

    if (err) {
        return err;
    }
    *field = ap_server_root_relative(cmd->pool, arg);
    if (!*field) {
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'", cmd->cmd->name,
                            arg);
    }
    return NULL;
}

static const char *cmd_restrict_embedded(cmd_parms *cmd, void *dummy, int on)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    if (err) {
        return err;
    }
    sg_global.restrict_embedded = on;
    return NULL;
}

const command_rec sg_cmds[] = {
    AP_INIT_TAKE_ARGV("SwiftGateScriptAlias", cmd_script_alias, NULL, RSRC_CONF,
                      "URL-path /path/to/libApp.so [callable-object=NAME] "
                      "[application-group=NAME] [process-group=NAME] "
                      "[settings=FILE]"),
    AP_INIT_TAKE_ARGV("SwiftGateDaemonProcess", cmd_daemon_process, NULL,
                      RSRC_CONF,
                      "NAME [processes=N] [threads=N] [user=U] [group=G] "
                      "[settings=FILE] [option=value ...]"),
    AP_INIT_TAKE1("SwiftGateProcessGroup", cmd_process_group, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "the daemon process group requests go to, or %{GLOBAL} "
                  "for embedded mode (default)"),
    AP_INIT_TAKE1("SwiftGateSocketPrefix", cmd_global_path,
                  (void *)APR_OFFSETOF(sg_global_conf, socket_prefix),
                  RSRC_CONF,
                  "path prefix of daemon sockets (default "
                  "DefaultRuntimeDir/swiftgate)"),
    AP_INIT_TAKE1("SwiftGateDaemonLibrary", cmd_global_path,
                  (void *)APR_OFFSETOF(sg_global_conf, daemon_library),
                  RSRC_CONF,
                  "libSwiftGateDaemon.so (default: beside mod_swiftgate.so)"),
    AP_INIT_TAKE_ARGV("SwiftGateAuthUserScript", cmd_check_script,
                      (void *)APR_OFFSETOF(sg_dir_conf, auth_user),
                      OR_AUTHCFG | RSRC_CONF,
                      "/path/libApp.so [callable-object=NAME] "
                      "[application-group=NAME] [process-group=NAME]: checks "
                      "passwords for AuthBasicProvider swiftgate"),
    AP_INIT_TAKE_ARGV("SwiftGateAuthGroupScript", cmd_check_script,
                      (void *)APR_OFFSETOF(sg_dir_conf, auth_group),
                      OR_AUTHCFG | RSRC_CONF,
                      "/path/libApp.so [options]: the groups for Require "
                      "swiftgate-group"),
    AP_INIT_TAKE_ARGV("SwiftGateAccessScript", cmd_check_script,
                      (void *)APR_OFFSETOF(sg_dir_conf, access),
                      OR_AUTHCFG | RSRC_CONF,
                      "/path/libApp.so [options]: host access checks"),
    AP_INIT_FLAG("SwiftGateRestrictEmbedded", cmd_restrict_embedded, NULL,
                 RSRC_CONF,
                 "On: only daemon mode; Apache's children never load Swift"),
    AP_INIT_TAKE1("SwiftGateCallableObject", cmd_callable, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "the C symbol that exports the application "
                  "(default " SWIFTGATE_DEFAULT_CALLABLE ")"),
    AP_INIT_TAKE1("SwiftGateApplicationGroup", cmd_app_group, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "the application instance requests go to (default "
                  "%{GLOBAL})"),
    AP_INIT_FLAG("SwiftGatePassAuthorization", cmd_pass_auth, NULL,
                 RSRC_CONF | ACCESS_CONF | OR_AUTHCFG,
                 "On to show the Authorization header to the application "
                 "(default Off)"),
    AP_INIT_ITERATE("SwiftGateTrustedProxies", cmd_trusted_proxy, NULL,
                    RSRC_CONF | ACCESS_CONF,
                    "addresses or networks (10.0.0.0/8, ::1) of the proxies "
                    "whose forwarding headers are believed"),
    AP_INIT_ITERATE("SwiftGateTrustedProxyHeaders", cmd_trusted_proxy_header,
                    NULL, RSRC_CONF | ACCESS_CONF,
                    "forwarding headers the application may rely on; "
                    "removed unless a trusted proxy sent them"),
    {NULL}};

/* ---- startup checks ---- */

/* One mount's checks. A daemon mount's process-group= names a defined
 * group, and its settings belong to the group. The settings file embedded
 * mounts name is one per Apache child (first is the first mount naming
 * one). Started as root, children run as User: the library must be readable
 * by that user, and every directory above it searchable. */
static int check_alias(apr_pool_t *p, server_rec *main_server,
                       const sg_alias *a, const sg_alias **first)
{
    const char *err;

    if (a->process_group && *a->process_group) {
        if (!sg_group_find(a->process_group)) {
            sg_log_s(APLOG_CRIT, 0, main_server, SG_LOGNO(00103),
                     "SwiftGateScriptAlias %s (%s:%d): process-group "
                     "'%s' is not defined by any SwiftGateDaemonProcess",
                     a->url_path, a->config_file, a->config_line,
                     a->process_group);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (a->settings) {
            sg_log_s(APLOG_CRIT, 0, main_server, SG_LOGNO(00104),
                     "SwiftGateScriptAlias %s (%s:%d): settings= is for "
                     "embedded mode; give settings= to "
                     "SwiftGateDaemonProcess %s instead",
                     a->url_path, a->config_file, a->config_line,
                     a->process_group);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    else if (a->settings && !*first) {
        *first = a;
    }
    else if (a->settings && strcmp((*first)->settings, a->settings)) {
        sg_log_s(APLOG_CRIT, 0, main_server, SG_LOGNO(00101),
                 "SwiftGateScriptAlias %s (%s:%d) names settings %s "
                 "but %s (%s:%d) names %s: one Apache child process "
                 "has one environment, so embedded applications "
                 "cannot have different settings; run them in "
                 "daemon mode (SwiftGateDaemonProcess settings=...)",
                 a->url_path, a->config_file, a->config_line, a->settings,
                 (*first)->url_path, (*first)->config_file,
                 (*first)->config_line, (*first)->settings);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (geteuid() != 0 || ap_unixd_config.user_id == 0) {
        return OK;
    }
    err = sg_library_check_access(p, a->library, ap_unixd_config.user_id,
                                  ap_unixd_config.group_id);
    if (err) {
        sg_log_s(APLOG_CRIT, 0, main_server, SG_LOGNO(00102),
                 "SwiftGateScriptAlias %s (%s:%d): %s, so Apache's "
                 "children (User %s) cannot load it",
                 a->url_path, a->config_file, a->config_line, err,
                 ap_unixd_config.user_name);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

int sg_check_config(apr_pool_t *pconf, server_rec *main_server)
{
    const sg_alias *first = NULL;
    server_rec *s;
    int i, rv;

    for (s = main_server; s; s = s->next) {
        sg_server_conf *conf =
            ap_get_module_config(s->module_config, &swiftgate_module);
        const sg_alias *a = (const sg_alias *)conf->aliases->elts;

        for (i = 0; i < conf->aliases->nelts; i++) {
            if ((rv = check_alias(pconf, main_server, &a[i], &first)) != OK) {
                return rv;
            }
        }
    }
    return sg_daemon_check(pconf, main_server);
}
