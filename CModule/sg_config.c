/*
 * sg_config.c -- mod_swiftgate's directives. Owns the records, the directive
 * handlers and the table, the mounts' startup checks, and what a request's
 * settings come to (which callable, which group, daemon or embedded).
 * key=value options are parsed from tables of {name, parser, offset} by
 * sg_options.c; a SwiftGateDaemonProcess line becomes an sg_group
 * (sg_group.c). Nothing here reaches the daemon side: mod_swiftgate.c
 * hands it the settings.
 */
#include "sg_config.h"
#include "sg_group.h"
#include "sg_log.h"
#include "sg_library.h"
#include "sg_options.h"
#include "sg_proxy.h"

#include "apr_lib.h"
#include "apr_network_io.h"
#include "apr_strings.h"
#include "http_core.h"
#include "unixd.h"

#include "swiftgate.h"

/* Settings for the whole server: read while the configuration is, reset
 * by sg_config_reset for each cycle. */
static sg_global_conf global;

/* SwiftGateScriptAlias's options. */
static const sg_option alias_options[] = {
    {"callable-object", sg_options_symbol, APR_OFFSETOF(sg_alias, callable)},
    {"application-group", sg_options_group, APR_OFFSETOF(sg_alias, app_group)},
    {"settings", sg_options_file, APR_OFFSETOF(sg_alias, settings)},
    {"process-group", sg_options_group, APR_OFFSETOF(sg_alias, process_group)},
    {"slow-request", sg_options_seconds, APR_OFFSETOF(sg_alias, slow_request)},
    {NULL, NULL, 0}};

/* The access-check scripts' options. */
static const sg_option script_options[] = {
    {"callable-object", sg_options_symbol, APR_OFFSETOF(sg_script, callable)},
    {"application-group", sg_options_group, APR_OFFSETOF(sg_script, app_group)},
    {"process-group", sg_options_group, APR_OFFSETOF(sg_script, process_group)},
    {NULL, NULL, 0}};

void sg_config_reset(apr_pool_t *pconf)
{
    memset(&global, 0, sizeof(global));
    global.check_libraries = apr_array_make(pconf, 2, sizeof(char *));
}

const sg_global_conf *sg_config_global(void)
{
    return &global;
}

/* ---- records ---- */

void *sg_config_create_server(apr_pool_t *p, server_rec *s)
{
    sg_server_conf *conf = apr_pcalloc(p, sizeof(*conf));

    conf->aliases = apr_array_make(p, 4, sizeof(sg_alias));
    return conf;
}

void *sg_config_merge_server(apr_pool_t *p, void *basev, void *addv)
{
    sg_server_conf *base = basev, *add = addv;
    sg_server_conf *conf = apr_pcalloc(p, sizeof(*conf));

    /* A virtual host's own mounts come first, then the main server's. */
    conf->aliases = apr_array_append(p, add->aliases, base->aliases);
    return conf;
}

void *sg_config_create_dir(apr_pool_t *p, char *dir)
{
    sg_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    conf->pass_authorization = SG_UNSET;
    return conf;
}

void *sg_config_merge_dir(apr_pool_t *p, void *basev, void *addv)
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
    conf->proxy.trusted =
        add->proxy.trusted ? add->proxy.trusted : base->proxy.trusted;
    if (add->proxy.headers) {
        conf->proxy.headers = add->proxy.headers;
        conf->proxy.mask = add->proxy.mask;
    }
    else {
        conf->proxy.headers = base->proxy.headers;
        conf->proxy.mask = base->proxy.mask;
    }
    conf->pass_authorization = add->pass_authorization != SG_UNSET
                                   ? add->pass_authorization
                                   : base->pass_authorization;
    return conf;
}

const char *sg_config_callable(const sg_alias *a, const sg_dir_conf *d)
{
    if (a->callable) {
        return a->callable;
    }
    return d && d->callable ? d->callable : SWIFTGATE_DEFAULT_CALLABLE;
}

const char *sg_config_app_group(const sg_alias *a, const sg_dir_conf *d)
{
    if (a->app_group) {
        return a->app_group;
    }
    return d && d->app_group ? d->app_group : "";
}

const char *sg_config_process_group(const sg_alias *a, const sg_dir_conf *d)
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
    return sg_options_parse(cmd, alias_options, a, argc - 2, argv + 2);
}

static const char *cmd_callable(cmd_parms *cmd, void *dconf, const char *arg)
{
    sg_dir_conf *conf = dconf;

    if (sg_options_symbol(cmd, arg, &conf->callable)) {
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

    return sg_options_group(cmd, arg, &conf->app_group);
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
    if (!conf->proxy.trusted) {
        conf->proxy.trusted =
            apr_array_make(cmd->pool, 4, sizeof(apr_ipsubnet_t *));
    }
    APR_ARRAY_PUSH(conf->proxy.trusted, void *) = subnet;
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
    if (!conf->proxy.headers) {
        conf->proxy.headers = apr_array_make(cmd->pool, 4, sizeof(int));
    }
    if (!(conf->proxy.mask & (1u << h))) {
        APR_ARRAY_PUSH(conf->proxy.headers, int) = h;
        conf->proxy.mask |= 1u << h;
    }
    return NULL;
}

static const char *cmd_daemon_process(cmd_parms *cmd, void *dummy, int argc,
                                      char *const argv[])
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    sg_group *g;

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
    g = sg_group_add(cmd->pool, argv[0]);
    g->config_file = cmd->directive->filename;
    g->config_line = cmd->directive->line_num;
    if ((err =
             sg_options_parse(cmd, sg_group_options, g, argc - 1, argv + 1))) {
        return err;
    }
    return sg_group_check_options(cmd->pool, g);
}

/* SwiftGateAuthUserScript and friends: cmd->info is the sg_dir_conf field. */
static const char *cmd_check_script(cmd_parms *cmd, void *dconf, int argc,
                                    char *const argv[])
{
    sg_script *script = apr_pcalloc(cmd->pool, sizeof(*script));
    const char *err;

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
    if ((err = sg_options_parse(cmd, script_options, script, argc - 1,
                                argv + 1))) {
        return err;
    }
    *(const char **)apr_array_push(global.check_libraries) = script->library;
    *(const sg_script **)((char *)dconf + (apr_size_t)cmd->info) = script;
    return NULL;
}

static const char *cmd_process_group(cmd_parms *cmd, void *dconf,
                                     const char *arg)
{
    sg_dir_conf *conf = dconf;

    return sg_options_group(cmd, arg, &conf->process_group);
}

static const char *cmd_global_path(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const char **field =
        (const char **)((char *)&global + (apr_size_t)cmd->info);

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

/* A field name: RFC 9110 token characters. */
static const char *cmd_request_id_header(cmd_parms *cmd, void *dummy,
                                         const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const char *c;

    if (err) {
        return err;
    }
    for (c = arg; *c; c++) {
        if (!apr_isalnum(*c) && !strchr("!#$%&'*+-.^_`|~", *c)) {
            break;
        }
    }
    if (!*arg || *c) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a header field name",
                            cmd->cmd->name, arg);
    }
    global.request_id_header = arg;
    return NULL;
}

static const char *cmd_restrict_embedded(cmd_parms *cmd, void *dummy, int on)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    if (err) {
        return err;
    }
    global.restrict_embedded = on;
    return NULL;
}

const command_rec sg_config_cmds[] = {
    AP_INIT_TAKE_ARGV("SwiftGateScriptAlias", cmd_script_alias, NULL, RSRC_CONF,
                      "URL-path /path/to/libApp.so [callable-object=NAME] "
                      "[application-group=NAME] [process-group=NAME] "
                      "[settings=FILE] [slow-request=SECS]"),
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
    AP_INIT_TAKE1("SwiftGateRequestIdHeader", cmd_request_id_header, NULL,
                  RSRC_CONF,
                  "a request header (X-Request-Id) whose value is the "
                  "request id when mod_unique_id set none"),
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

int sg_config_check(apr_pool_t *pconf, server_rec *main_server)
{
    const sg_alias *first = NULL;
    server_rec *s = main_server;
    sg_alias *a;
    int i = -1, rv;

    while ((a = sg_config_next_alias(&s, &i))) {
        if ((rv = check_alias(pconf, main_server, a, &first)) != OK) {
            return rv;
        }
    }
    return OK;
}

/* ---- for the other files ---- */

sg_alias *sg_config_next_alias(server_rec **s, int *i)
{
    while (*s) {
        sg_server_conf *conf =
            ap_get_module_config((*s)->module_config, &swiftgate_module);

        if (++*i < conf->aliases->nelts) {
            return &((sg_alias *)conf->aliases->elts)[*i];
        }
        *s = (*s)->next;
        *i = -1;
    }
    return NULL;
}

int sg_config_route(request_rec *r, const char *process_group, int check,
                    sg_group **g)
{
    const char *what = check ? "the access check for " : "";

    *g = NULL;
    if (*process_group) {
        if (!(*g = sg_group_find(process_group))) {
            sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00003),
                     "%s%s is delegated to daemon process group '%s', which "
                     "no SwiftGateDaemonProcess defines",
                     what, r->uri, process_group);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        return OK;
    }
    if (global.restrict_embedded) {
        sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00004),
                 "%s%s is not delegated to a daemon process group and "
                 "SwiftGateRestrictEmbedded is On",
                 what, r->uri);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/* The applications the processes of group g start first: one per mount
 * delegated to it, as "library\ncallable\ngroup"; NULL-terminated. */
static const char *const *group_preload(apr_pool_t *p, server_rec *s,
                                        const sg_group *g)
{
    apr_array_header_t *pre = apr_array_make(p, 4, sizeof(char *));
    sg_alias *a;
    int i = -1;

    while ((a = sg_config_next_alias(&s, &i))) {
        if (a->process_group && !strcmp(a->process_group, g->name)) {
            *(const char **)apr_array_push(pre) =
                apr_pstrcat(p, a->library, "\n", sg_config_callable(a, NULL),
                            "\n", sg_config_app_group(a, NULL), NULL);
        }
    }
    *(const char **)apr_array_push(pre) = NULL;
    return (const char *const *)pre->elts;
}

const char *const *sg_config_daemon_apps(apr_pool_t *p, server_rec *main_server)
{
    apr_array_header_t *libs = apr_array_make(p, 4, sizeof(char *));
    apr_array_header_t *groups = sg_group_all();
    server_rec *s = main_server;
    sg_alias *a;
    int i = -1, j;

    while ((a = sg_config_next_alias(&s, &i))) {
        const char **known = (const char **)libs->elts;
        int seen = 0;

        for (j = 0; j < libs->nelts && !seen; j++) {
            seen = !strcmp(known[j], a->library);
        }
        if (!seen) {
            *(const char **)apr_array_push(libs) = a->library;
        }
    }
    apr_array_cat(libs, global.check_libraries);
    *(const char **)apr_array_push(libs) = NULL;
    for (j = 0; j < groups->nelts; j++) {
        sg_group *g = &((sg_group *)groups->elts)[j];

        g->preload = group_preload(p, main_server, g);
    }
    return (const char *const *)libs->elts;
}
