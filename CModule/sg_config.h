/*
 * sg_config.h -- mod_swiftgate's configuration: the directive table, the
 * per-server, per-directory and server-wide records the directives fill,
 * what a request's settings come to, and the mounts' startup checks. The
 * daemon side never includes it: mod_swiftgate.c hands it what it needs.
 */
#ifndef SG_CONFIG_H
#define SG_CONFIG_H

#include "httpd.h"
#include "http_config.h"

#include "sg_group.h"
#include "sg_proxy.h"

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
    apr_interval_time_t slow_request; /* 0: the group's, or none */
    const char *config_file;          /* where it was written, for messages */
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
    /* A request header whose value is the request id when mod_unique_id
     * set none (SwiftGateRequestIdHeader); NULL: none. */
    const char *request_id_header;
    /* Libraries named by access-check scripts: daemons may load them. */
    apr_array_header_t *check_libraries;
} sg_global_conf;

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
    sg_proxy_conf proxy;
} sg_dir_conf;

/* The directives, for the module record. */
extern const command_rec sg_config_cmds[];

/*
 * The module record's config functions (httpd's create/merge signatures).
 * A virtual host's mounts come before the main server's; a directory's own
 * settings win over the ones it inherits.
 * @return a new sg_server_conf or sg_dir_conf from p
 */
void *sg_config_create_server(apr_pool_t *p, server_rec *s);
void *sg_config_merge_server(apr_pool_t *p, void *base, void *add);
void *sg_config_create_dir(apr_pool_t *p, char *dir);
void *sg_config_merge_dir(apr_pool_t *p, void *base, void *add);

/*
 * Forgets the server-wide settings of the previous configuration cycle
 * (pre-config).
 * @param pconf the new cycle's pool
 */
void sg_config_reset(apr_pool_t *pconf);

/*
 * The server-wide settings, as the directives read so far set them.
 * @return the settings; valid until the next sg_config_reset
 */
const sg_global_conf *sg_config_global(void);

/*
 * What applies to a request on a mount: the mount's own option, else the
 * directory's directive, else the default.
 * @param a the mount
 * @param d the request's directory configuration, or NULL (the mount's
 *        own options and the defaults only)
 * @return the callable object (default SWIFTGATE_DEFAULT_CALLABLE), the
 *         application group ("" is %{GLOBAL}), or the daemon process
 *         group ("" for embedded mode)
 */
const char *sg_config_callable(const sg_alias *a, const sg_dir_conf *d);
const char *sg_config_app_group(const sg_alias *a, const sg_dir_conf *d);
const char *sg_config_process_group(const sg_alias *a, const sg_dir_conf *d);

/*
 * The mounts' startup checks (check_config; daemon mode's own are
 * sg_daemon_check): a mount's process-group= names a defined group and
 * its settings= is for embedded mode only; embedded mounts name one
 * settings file at most; started as root, Apache's User can read every
 * mount's library.
 * @param pconf the configuration pool
 * @param s the main server
 * @return OK, or HTTP_INTERNAL_SERVER_ERROR after logging the first
 *         mount that fails
 */
int sg_config_check(apr_pool_t *pconf, server_rec *s);

/*
 * Walks every mount of every server: the main server's first, then each
 * virtual host's (whose list ends with the main server's mounts again).
 * @param s in: the server being walked, the main server at the start;
 *        out: the server of the mount returned
 * @param i in: the index of the last mount returned in *s, -1 at the
 *        start; out: the index of the mount returned
 * @return the next mount, or NULL when every server has been walked
 */
sg_alias *sg_config_next_alias(server_rec **s, int *i);

/*
 * Where a request, or an access check, for a process group runs: in that
 * daemon group, or embedded in this Apache child unless
 * SwiftGateRestrictEmbedded forbids it.
 * @param r the request (logged against)
 * @param process_group the group name, "" for embedded mode
 * @param check whether an access check asks (for the log line)
 * @param g out: the daemon group, or NULL for embedded mode
 * @return OK, or HTTP_INTERNAL_SERVER_ERROR after logging why (no such
 *         group; embedded mode refused)
 */
int sg_config_route(request_rec *r, const char *process_group, int check,
                    sg_group **g);

/*
 * What daemons may load: every library a request may name to a daemon
 * (each mount's, once, then the access-check scripts'), and for every
 * group the applications its processes start before serving (the mounts
 * delegated to it), which are stored in the group's preload.
 * @param p the configuration pool
 * @param s the main server
 * @return the libraries, NULL-terminated
 */
const char *const *sg_config_daemon_apps(apr_pool_t *p, server_rec *s);

#endif /* SG_CONFIG_H */
