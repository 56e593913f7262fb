/*
 * sg_config.c -- mod_swiftgate's directives. Owns the directive handlers and
 * the table; key=value options are parsed from tables of
 * {name, parser, offset}.
 */
#include "sg_config.h"
#include "sg_log.h"
#include "sg_library.h"

#include "apr_lib.h"
#include "apr_strings.h"
#include "http_core.h"
#include "unixd.h"

#include "swiftgate.h"

/* ---- key=value options ---- */

typedef const char *(*sg_option_parser)(cmd_parms *cmd, const char *value,
                                        void *field);

typedef struct sg_option {
    const char *name;
    sg_option_parser parse;
    apr_size_t offset;
} sg_option;

/* A C identifier: what @_cdecl can name. */
static const char *parse_symbol(cmd_parms *cmd, const char *value, void *field)
{
    const char *c;

    if (!*value || apr_isdigit(*value)) {
        return "must be a C symbol name";
    }
    for (c = value; *c; c++) {
        if (!apr_isalnum(*c) && *c != '_') {
            return "must be a C symbol name";
        }
    }
    *(const char **)field = value;
    return NULL;
}

/* An application group; %{GLOBAL} is the empty, process-wide group. */
static const char *parse_group(cmd_parms *cmd, const char *value, void *field)
{
    *(const char **)field = strcmp(value, "%{GLOBAL}") ? value : "";
    return NULL;
}

/* A file that must exist now; relative paths are under ServerRoot. */
static const char *parse_file(cmd_parms *cmd, const char *value, void *field)
{
    const char *path = ap_server_root_relative(cmd->pool, value);
    apr_finfo_t finfo;

    if (!path) {
        return "is not a valid path";
    }
    if (apr_stat(&finfo, path, APR_FINFO_TYPE, cmd->temp_pool) != APR_SUCCESS
        || finfo.filetype != APR_REG) {
        return apr_pstrcat(cmd->temp_pool, "names no file: ", path, NULL);
    }
    *(const char **)field = path;
    return NULL;
}

static const sg_option alias_options[] = {
    {"callable-object", parse_symbol, APR_OFFSETOF(sg_alias, callable)},
    {"application-group", parse_group, APR_OFFSETOF(sg_alias, app_group)},
    {"settings", parse_file, APR_OFFSETOF(sg_alias, settings)},
    {NULL, NULL, 0}};

/* Parses one "name=value" word into rec through table. */
static const char *parse_option(cmd_parms *cmd, const sg_option *table,
                                void *rec, const char *word)
{
    const char *eq = strchr(word, '=');
    const char *name, *err;
    const sg_option *o;

    if (!eq || eq == word) {
        return apr_psprintf(cmd->pool, "%s: expected option=value, got '%s'",
                            cmd->cmd->name, word);
    }
    name = apr_pstrmemdup(cmd->temp_pool, word, eq - word);
    for (o = table; o->name; o++) {
        if (!strcmp(o->name, name)) {
            err = o->parse(cmd, eq + 1, (char *)rec + o->offset);
            if (err) {
                return apr_psprintf(cmd->pool, "%s: option '%s' %s (got '%s')",
                                    cmd->cmd->name, name, err, eq + 1);
            }
            return NULL;
        }
    }
    return apr_psprintf(cmd->pool, "%s: unknown option '%s'", cmd->cmd->name,
                        name);
}

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
        if ((err = parse_option(cmd, alias_options, a, argv[i]))) {
            return err;
        }
    }
    return NULL;
}

static const char *cmd_callable(cmd_parms *cmd, void *dconf, const char *arg)
{
    sg_dir_conf *conf = dconf;

    if (parse_symbol(cmd, arg, &conf->callable)) {
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

    return parse_group(cmd, arg, &conf->app_group);
}

static const char *cmd_pass_auth(cmd_parms *cmd, void *dconf, int on)
{
    sg_dir_conf *conf = dconf;

    conf->pass_authorization = on;
    return NULL;
}

const command_rec sg_cmds[] = {
    AP_INIT_TAKE_ARGV("SwiftGateScriptAlias", cmd_script_alias, NULL, RSRC_CONF,
                      "URL-path /path/to/libApp.so [callable-object=NAME] "
                      "[application-group=NAME] [settings=FILE]"),
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
    {NULL}};

/* ---- startup checks ---- */

/* The settings file embedded applications name; two different ones cannot
 * share the environment of one Apache child. */
static int check_embedded_settings(server_rec *main_server)
{
    const sg_alias *first = NULL;
    server_rec *s;
    int i;

    for (s = main_server; s; s = s->next) {
        sg_server_conf *conf =
            ap_get_module_config(s->module_config, &swiftgate_module);
        const sg_alias *a = (const sg_alias *)conf->aliases->elts;

        for (i = 0; i < conf->aliases->nelts; i++) {
            if (!a[i].settings) {
                continue;
            }
            if (!first) {
                first = &a[i];
            }
            else if (strcmp(first->settings, a[i].settings)) {
                sg_log_s(APLOG_CRIT, 0, main_server, SG_LOGNO(00101),
                         "SwiftGateScriptAlias %s (%s:%d) names settings %s "
                         "but %s (%s:%d) names %s: one Apache child process "
                         "has one environment, so embedded applications "
                         "cannot have different settings; run them in "
                         "daemon mode (SwiftGateDaemonProcess settings=...)",
                         a[i].url_path, a[i].config_file, a[i].config_line,
                         a[i].settings, first->url_path, first->config_file,
                         first->config_line, first->settings);
                return HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }
    return OK;
}

/* Started as root, children run as User: the library must be readable by
 * that user, and every directory above it searchable. */
static int check_library_access(apr_pool_t *p, server_rec *main_server)
{
    server_rec *s;
    int i;

    if (geteuid() != 0 || ap_unixd_config.user_id == 0) {
        return OK;
    }
    for (s = main_server; s; s = s->next) {
        sg_server_conf *conf =
            ap_get_module_config(s->module_config, &swiftgate_module);
        const sg_alias *a = (const sg_alias *)conf->aliases->elts;

        for (i = 0; i < conf->aliases->nelts; i++) {
            const char *err = sg_library_check_access(p, a[i].library,
                                                      ap_unixd_config.user_id,
                                                      ap_unixd_config.group_id);
            if (err) {
                sg_log_s(APLOG_CRIT, 0, main_server, SG_LOGNO(00102),
                         "SwiftGateScriptAlias %s (%s:%d): %s, so Apache's "
                         "children (User %s) cannot load it",
                         a[i].url_path, a[i].config_file, a[i].config_line, err,
                         ap_unixd_config.user_name);
                return HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }
    return OK;
}

int sg_check_config(apr_pool_t *pconf, server_rec *s)
{
    int rv = check_embedded_settings(s);

    return rv != OK ? rv : check_library_access(pconf, s);
}
