/*
 * sg_config.h -- mod_swiftgate's configuration: the directive table and the
 * per-server and per-directory records the directives fill.
 */
#ifndef SG_CONFIG_H
#define SG_CONFIG_H

#include "httpd.h"
#include "http_config.h"

/* The module's only exported symbol: everything else is built hidden
 * (-fvisibility=hidden), so calls between the module's files stay direct. */
extern module AP_MODULE_DECLARE_DATA __attribute__((visibility("default")))
swiftgate_module;

/* The handler name requests for a Swift application carry. */
#define SG_HANDLER "swiftgate-script"

/* An application mount: one SwiftGateScriptAlias. */
typedef struct sg_alias {
    const char *url_path;      /* "/" or "/app" (no trailing slash kept) */
    const char *library;       /* absolute path of the application library */
    const char *callable;      /* NULL: the directory's or the default */
    const char *app_group;     /* NULL: the directory's or the default */
    const char *settings;      /* settings file for embedded mode, or NULL */
    const char *process_group; /* NULL: the directory setting; "" embedded */
    const char *config_file;   /* where it was written, for messages */
    int config_line;
    /* Set in each child by child_init: the embedded instance it started
     * for this alias with the directory defaults, and what it was started
     * with. A request that resolves to the same callable and group uses it
     * without the instance table's lock. */
    struct sg_instance *instance;
    const char *instance_callable;
    const char *instance_group;
} sg_alias;

typedef struct sg_server_conf {
    apr_array_header_t *aliases; /* sg_alias */
} sg_server_conf;

/* An application answering access checks (SwiftGateAuthUserScript,
 * SwiftGateAuthGroupScript, SwiftGateAccessScript). */
typedef struct sg_script {
    const char *library;
    const char *callable;      /* NULL: the default */
    const char *app_group;     /* NULL: %{GLOBAL} */
    const char *process_group; /* NULL or "": embedded */
} sg_script;

/* Settings for the whole server (main server only). */
typedef struct sg_global_conf {
    const char *socket_prefix;  /* NULL: DefaultRuntimeDir/swiftgate */
    const char *daemon_library; /* NULL: beside mod_swiftgate.so */
    int restrict_embedded;
    /* Libraries named by access-check scripts: daemons may load them. */
    apr_array_header_t *check_libraries;
} sg_global_conf;

extern sg_global_conf sg_global;

/* Tri-state flags: unset in a directory inherits the parent's value. */
#define SG_UNSET (-1)

typedef struct sg_dir_conf {
    const char *callable;
    const char *app_group;
    const char *process_group; /* NULL unset, "" embedded (%{GLOBAL}) */
    int pass_authorization;
    const sg_script *auth_user;
    const sg_script *auth_group;
    const sg_script *access;
    /* SwiftGateTrustedProxies: apr_ipsubnet_t *; NULL unset. */
    apr_array_header_t *trusted_proxies;
    /* SwiftGateTrustedProxyHeaders: sg_fwd_header (int) in the order
     * given, and the same as a bit mask; NULL unset. */
    apr_array_header_t *proxy_headers;
    unsigned proxy_headers_mask;
} sg_dir_conf;

extern const command_rec sg_cmds[];

void *sg_create_server_conf(apr_pool_t *p, server_rec *s);
void *sg_merge_server_conf(apr_pool_t *p, void *base, void *add);
void *sg_create_dir_conf(apr_pool_t *p, char *dir);
void *sg_merge_dir_conf(apr_pool_t *p, void *base, void *add);

/* The callable and application group that apply to a request on alias a. */
const char *sg_effective_callable(const sg_alias *a, const sg_dir_conf *d);
const char *sg_effective_app_group(const sg_alias *a, const sg_dir_conf *d);
/* The daemon process group, or "" for embedded mode. */
const char *sg_effective_process_group(const sg_alias *a, const sg_dir_conf *d);

/* Cross-server checks run at startup and by configtest (check_config). */
int sg_check_config(apr_pool_t *pconf, server_rec *s);

#endif /* SG_CONFIG_H */
