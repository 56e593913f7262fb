/*
 * swiftgate.h -- the ABI between mod_swiftgate (C, built with apxs) and the
 * Swift runtime linked into every application library (SwiftGateRuntime).
 *
 * This header is the only contract between the two sides. It uses
 * fixed-width types only and includes nothing from httpd or APR. Any change
 * to a struct layout, a callback signature or an entry point's meaning bumps
 * SWIFTGATE_ABI_VERSION; the module refuses a library built against another
 * version. Fields appended at the end of a struct that carries its
 * struct_size are not such a change: readers check struct_size first.
 */
#ifndef SWIFTGATE_H
#define SWIFTGATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SWIFTGATE_ABI_VERSION 1u

/* Symbols every application library exports (SwiftGateRuntime defines them). */
#define SWIFTGATE_SYM_ABI_VERSION "swiftgate_abi_version"
#define SWIFTGATE_SYM_START       "swiftgate_start"
#define SWIFTGATE_SYM_HANDLE      "swiftgate_handle"

/* The callable object looked up when none is configured: the symbol an
 * application declares with @_cdecl("swiftgate_application"). */
#define SWIFTGATE_DEFAULT_CALLABLE "swiftgate_application"

/* Callback results. */
#define SWIFTGATE_OK         0
#define SWIFTGATE_ERR_CLIENT (-1) /* the client went away or a write failed */
#define SWIFTGATE_ERR_HEADER (-2) /* a response header was refused */
#define SWIFTGATE_ERR_LENGTH (-3) /* body longer than its Content-Length */
#define SWIFTGATE_ERR_STATE  (-4) /* call out of order (body before head) */
#define SWIFTGATE_ERR_READ   (-5) /* the request body could not be read */
/* read_body may also return SWIFTGATE_ERR_CLIENT: the client went away
 * (closed its connection, or the front-end aborted the request). Libraries
 * treat every negative result as a failed read; this one is not the
 * application's fault and is logged as such. */

/* Log levels: the syslog numbers, which are also httpd's APLOG_* values. */
#define SWIFTGATE_LOG_EMERG   0
#define SWIFTGATE_LOG_ALERT   1
#define SWIFTGATE_LOG_CRIT    2
#define SWIFTGATE_LOG_ERR     3
#define SWIFTGATE_LOG_WARNING 4
#define SWIFTGATE_LOG_NOTICE  5
#define SWIFTGATE_LOG_INFO    6
#define SWIFTGATE_LOG_DEBUG   7

/* The swiftgate.* keys every host adds to a request's environ, beside the
 * CGI/1.1 variables (SwiftGate's EnvironKey names the same strings): the
 * scheme the client used (http or https); "1" or "0" for whether other
 * requests run at the same time in this process, and whether other
 * processes serve the same application; the daemon process group ("" in
 * embedded mode), the application group and the callable object that
 * serve the request; the interface version. */
#define SWIFTGATE_ENV_URL_SCHEME        "swiftgate.url_scheme"
#define SWIFTGATE_ENV_MULTITHREAD       "swiftgate.multithread"
#define SWIFTGATE_ENV_MULTIPROCESS      "swiftgate.multiprocess"
#define SWIFTGATE_ENV_PROCESS_GROUP     "swiftgate.process_group"
#define SWIFTGATE_ENV_APPLICATION_GROUP "swiftgate.application_group"
#define SWIFTGATE_ENV_CALLABLE_OBJECT   "swiftgate.callable_object"
#define SWIFTGATE_ENV_VERSION           "swiftgate.version"
/* The request's id: mod_unique_id's UNIQUE_ID, a request-id header the
 * configuration names, or one the host makes (SwiftGate's Request.id). */
#define SWIFTGATE_ENV_REQUEST_ID "swiftgate.request_id"
/* The interface version hosts report as SWIFTGATE_ENV_VERSION,
 * "major.minor". */
#define SWIFTGATE_INTERFACE_VERSION "1.0"

/* Request flags. */
#define SWIFTGATE_REQ_HEAD_ONLY 0x1u /* HEAD: the body is discarded */

/* A name and a value with explicit lengths, so that an embedded NUL is seen
 * and refused rather than silently cutting a string short. */
typedef struct swiftgate_pair {
    const char *name;
    uint64_t name_len;
    const char *value;
    uint64_t value_len;
} swiftgate_pair;

/* Application metrics (swiftgate_host.metric_register): their kinds, and
 * what metric_update does with a value. */
#define SWIFTGATE_METRIC_COUNTER 1 /* ADD: a whole number, 0 or more */
#define SWIFTGATE_METRIC_GAUGE   2 /* SET, or ADD */
#define SWIFTGATE_METRIC_SUMMARY 3 /* OBSERVE: count and sum */
#define SWIFTGATE_METRIC_ADD     1
#define SWIFTGATE_METRIC_SET     2
#define SWIFTGATE_METRIC_OBSERVE 3 /* a gauge: SET */

/* Services of the host process, valid for the life of the process. Fields
 * are only ever appended: a reader looks at one only when struct_size
 * covers it. */
typedef struct swiftgate_host {
    uint32_t abi_version;
    uint32_t struct_size;
    void *ctx;
    /* Thread-safe; msg need not be NUL-terminated. */
    void (*log)(void *ctx, int32_t level, const char *msg, uint64_t len);
    /* Application metrics the host exports (mod_swiftgate: at the status
     * page's ?metrics, summed over a group's processes); NULL when it
     * keeps none. register takes the metric's kind and its name with
     * labels in Prometheus' text form (name{key="value"}) and returns a
     * handle >= 0, or -1 when the host has no room; the caller registers
     * each name once per process. update is lock-free, from any thread. */
    int32_t (*metric_register)(void *ctx, int32_t kind, const char *name,
                               uint64_t len);
    void (*metric_update)(void *ctx, int32_t metric, int32_t op, double value);
    /* The most verbose level the log keeps (a SWIFTGATE_LOG_* value; under
     * Apache, LogLevel for mod_swiftgate): a library need not format a
     * line above it. A host whose struct_size is 40 keeps up to INFO. */
    int32_t log_level;
    uint32_t reserved;
} swiftgate_host;

/* What the host tells an application when it starts it. */
typedef struct swiftgate_app_info {
    uint32_t struct_size;
    uint32_t reserved;
    const char *library_path;
    const char *callable;
    const char *application_group;
    const char *process_group;
    const swiftgate_host *host;
} swiftgate_app_info;

/*
 * One request. Everything here, and every callback, is valid only during the
 * swiftgate_handle call that received it, and the callbacks must be called on
 * the thread that made that call (httpd's brigades are not thread-safe).
 */
typedef struct swiftgate_request {
    uint32_t struct_size;
    uint32_t flags;
    /* CGI/1.1 variables computed by the host, plus swiftgate.* keys. */
    const swiftgate_pair *environ;
    uint64_t environ_count;
    /* The request header fields as received (minus hidden ones). */
    const swiftgate_pair *headers;
    uint64_t header_count;
    void *ctx;
    /* Reads up to cap body bytes: >0 bytes read, 0 end of body,
     * SWIFTGATE_ERR_READ on failure. Blocks until some bytes arrive. */
    int64_t (*read_body)(void *ctx, uint8_t *buf, uint64_t cap);
    /* Sets the status and header fields; exactly once, before any body. */
    int32_t (*send_head)(void *ctx, int32_t status,
                         const swiftgate_pair *headers, uint64_t count);
    /* Appends body bytes; flush != 0 sends what is buffered now. */
    int32_t (*write_body)(void *ctx, const uint8_t *data, uint64_t len,
                          int32_t flush);
    /* Logs against this request (adds the client address and so on). */
    void (*log)(void *ctx, int32_t level, const char *msg, uint64_t len);
    /* Optional (NULL: not offered; a host whose struct_size is 80 has no
     * such field): asks the host, on the request's thread, whether the
     * client has gone away. A library polls it while the request's task
     * waits and cancels the task when it returns nonzero. */
    int32_t (*client_gone)(void *ctx);
} swiftgate_request;

/* Entry points, in the order the host calls them. */

/* The ABI version the library was built against. */
typedef uint32_t (*swiftgate_abi_version_fn)(void);

/* The callable object: returns the exported application (opaque). */
typedef void *(*swiftgate_callable_fn)(void);

/* Starts an exported application: loads its settings and runs its factory.
 * Returns an application handle, or NULL with a message in errbuf. */
typedef void *(*swiftgate_start_fn)(void *exported,
                                    const swiftgate_app_info *info,
                                    char *errbuf, uint64_t errlen);

/* Serves one request on the calling thread. Returns SWIFTGATE_OK when the
 * response was produced (the host checks it was complete), or an HTTP
 * status (>= 400) for the host to answer with when no head was sent. */
typedef int32_t (*swiftgate_handle_fn)(void *app,
                                       const swiftgate_request *request);

/* Optional (libraries built before it lack it; hosts look it up and do
 * without): cancels the Swift task serving `request`, from any thread.
 * The host must call it only while the swiftgate_handle call that received
 * `request` has not returned (it serialises the two itself), because the
 * same address may serve the next request. Returns 1 when a running task
 * was cancelled, 0 when none serves that request. swiftgate_handle still
 * returns as usual once the task ends. */
#define SWIFTGATE_SYM_CANCEL "swiftgate_cancel"
typedef int32_t (*swiftgate_cancel_fn)(void *app,
                                       const swiftgate_request *request);

/* Stops a started application once its last request has ended: the
 * services, pools and schedulers its factory started (a framework's event
 * loops, a database pool). Waits at most timeout_ms for them; the
 * application handle must not be used afterwards. Optional: the host calls
 * it when the library exports it (libraries built before it do not), once
 * per handle, on a host thread, before the process exits. */
#define SWIFTGATE_SYM_STOP "swiftgate_stop"
typedef void (*swiftgate_stop_fn)(void *app, uint32_t timeout_ms);

/* ---- Access checks: basic auth, groups, host access ----
 *
 * An application whose type conforms to SwiftGate's AuthProvider answers
 * these through swiftgate_check (same thread rules as swiftgate_handle).
 */
#define SWIFTGATE_SYM_CHECK "swiftgate_check"

/* What is asked. */
#define SWIFTGATE_CHECK_PASSWORD 1 /* user + password (AuthBasicProvider) */
#define SWIFTGATE_CHECK_GROUPS   2 /* the groups of user (Require) */
#define SWIFTGATE_CHECK_ACCESS   3 /* may this client have access at all */

/* The answer (swiftgate_check's result). */
#define SWIFTGATE_AUTH_GRANTED        0
#define SWIFTGATE_AUTH_DENIED         1
#define SWIFTGATE_AUTH_USER_NOT_FOUND 2
#define SWIFTGATE_AUTH_ERROR          3 /* the check failed: never "denied" */
/* A service the check needs (the application's user store) is down: the
 * host answers 503 Service Unavailable. Added after the first four: a host
 * that does not know it treats it as SWIFTGATE_AUTH_ERROR (500), and an
 * application that never returns it is unchanged. */
#define SWIFTGATE_AUTH_UNAVAILABLE 4

typedef struct swiftgate_check_request {
    uint32_t struct_size;
    uint32_t kind; /* SWIFTGATE_CHECK_* */
    /* The request's CGI variables, without Authorization. */
    const swiftgate_pair *environ;
    uint64_t environ_count;
    const char *user; /* PASSWORD, GROUPS */
    uint64_t user_len;
    const char *password; /* PASSWORD */
    uint64_t password_len;
    void *ctx;
    /* PASSWORD granted under another (canonical) name: REMOTE_USER. */
    void (*set_user)(void *ctx, const char *name, uint64_t len);
    /* GROUPS: called once per group of the user. */
    void (*add_group)(void *ctx, const char *name, uint64_t len);
} swiftgate_check_request;

typedef int32_t (*swiftgate_check_fn)(void *app,
                                      const swiftgate_check_request *check);

/* FastCGI AUTHORIZER role (daemon mode), compatible with mod_authnz_fcgi:
 * FCGI_APACHE_ROLE=AUTHENTICATOR with REMOTE_USER and REMOTE_PASSWD asks
 * for a password check; FCGI_APACHE_ROLE=AUTHORIZER with REMOTE_USER asks
 * for the user's groups when SWIFTGATE_PARAM_CHECK is "groups", else for
 * access. The daemon answers Status 200 (granted), 401 (denied), 404 (user
 * not found), 500 (error) or 503 (SWIFTGATE_AUTH_UNAVAILABLE, or no worker
 * free in time); on 200 a password check may carry
 * "Variable-REMOTE_USER: canonical" and a groups check
 * "Variable-SWIFTGATE_GROUPS: a,b" (groups contain no comma). */
#define SWIFTGATE_PARAM_CHECK     "SWIFTGATE_CHECK"
#define SWIFTGATE_GROUPS_VARIABLE "SWIFTGATE_GROUPS"

/* ---- Daemon mode ----
 *
 * A daemon process is a host too: libSwiftGateDaemon.so serves FastCGI on a
 * listening socket and calls application libraries through the entry points
 * above. mod_swiftgate forks daemon processes from the Apache parent, drops
 * privileges, opens that library and calls swiftgate_daemon_main; the
 * swiftgate command line does the same outside Apache.
 */
#define SWIFTGATE_SYM_DAEMON_MAIN "swiftgate_daemon_main"

/* Bytes written to control_fd. */
#define SWIFTGATE_DAEMON_DRAIN 'g' /* accept until idle, finish, exit 0 */
#define SWIFTGATE_DAEMON_STOP                                                  \
    't' /* stop accepting, finish within
                                      shutdown_timeout_ms, exit 0 */
/* Stop accepting, finish within graceful_timeout_ms, exit 0: a process
 * replaced by a rolling restart or retired from an adaptive pool. */
#define SWIFTGATE_DAEMON_RECYCLE 'r'

/* Exit statuses of a daemon process (swiftgate_daemon_main's result). */
#define SWIFTGATE_DAEMON_EXIT_OK      0  /* stopped or recycled */
#define SWIFTGATE_DAEMON_EXIT_FAILED  70 /* could not serve at all */
#define SWIFTGATE_DAEMON_EXIT_TIMEOUT 75 /* a request passed request-timeout */
#define SWIFTGATE_DAEMON_EXIT_STARTUP 76 /* preloading passed startup-timeout */
#define SWIFTGATE_DAEMON_EXIT_HEALTH  77 /* the health check failed */
#define SWIFTGATE_DAEMON_EXIT_MEMORY  78 /* recycled past memory_limit_bytes */

/* FastCGI parameters mod_swiftgate adds besides the environ. */
#define SWIFTGATE_PARAM_REQUEST_START "swiftgate.request_start" /* µs, epoch */
/* The request's slow-request threshold in seconds, when one applies: the
 * host's status page lists it as slow past that age. */
#define SWIFTGATE_PARAM_SLOW_REQUEST "swiftgate.slow_request"
/* The group's secret (swiftgate_daemon_config.secret), first in every
 * request's PARAMS: a daemon with a secret closes a connection whose request
 * does not carry it, and never shows it to the application. */
#define SWIFTGATE_PARAM_SECRET "swiftgate.secret"
/* The same parameter as a CGI variable name, for a front-end that can only
 * send names of that form (HAProxy's set-param upper-cases a name and makes
 * '.' '_'). A client's header can never arrive under it: headers arrive as
 * HTTP_*. */
#define SWIFTGATE_PARAM_SECRET_CGI "SWIFTGATE_SECRET"

/* The response field a daemon adds to a response it made itself for a
 * failure (500, 503…): mod_swiftgate drops that response and lets Apache
 * answer with its own error document for the status. */
#define SWIFTGATE_ERROR_FIELD "X-SwiftGate-Error"

typedef struct swiftgate_daemon_config {
    uint32_t struct_size;
    int32_t listen_fd;            /* listening stream socket (UNIX or TCP) */
    int32_t control_fd;           /* read end of a pipe (bytes above), or -1 */
    uint32_t threads;             /* requests served at once */
    uint64_t maximum_requests;    /* recycle after this many; 0 never */
    uint64_t restart_interval_ms; /* recycle after this long; 0 never */
    uint64_t inactivity_timeout_ms; /* recycle when idle this long; 0 never */
    uint64_t request_timeout_ms;    /* exit (TIMEOUT) when a request runs
                                    longer; 0 never */
    uint64_t queue_timeout_ms;      /* answer 503 to a request that waited
                                    longer (request_start); 0 never */
    uint64_t socket_timeout_ms;     /* one read or write on a connection */
    uint64_t startup_timeout_ms;    /* preloading; 0 no limit */
    uint64_t graceful_timeout_ms;   /* the most a drain or recycle waits */
    uint64_t shutdown_timeout_ms;   /* the most a stop waits */
    const char *process_group;      /* reported as swiftgate.process_group */
    /* Application libraries requests may name in SCRIPT_FILENAME,
     * NULL-terminated; NULL allows none but fixed_library. */
    const char *const *libraries;
    /* Serve this library whatever SCRIPT_FILENAME says (standalone). */
    const char *fixed_library;
    /* Callable object and group when a request names none. */
    const char *default_callable;
    const char *default_application_group;
    /* Applications to start before serving: "library\ncallable\ngroup"
     * strings, NULL-terminated, or NULL. */
    const char *const *preload;
    uint32_t check_libraries; /* recycle when a loaded library changes */
    uint32_t flags;           /* SWIFTGATE_DAEMON_* below */
    const swiftgate_host *host;
    /* Called with 1 once the daemon accepts requests (its applications
     * preloaded), with 0 once it stops accepting; NULL: not wanted.
     * mod_swiftgate answers 503 at once while no process of a group is
     * serving, instead of queueing requests for a daemon that may never
     * come. */
    void (*serving)(void *ctx, int32_t serving);
    void *serving_ctx;
    /* What every request must carry as SWIFTGATE_PARAM_SECRET before the
     * daemon believes its PARAMS: proof that it comes from the host, not
     * from another process that can reach the socket. NULL or empty: no
     * check (a front-end such as nginx that cannot send one). */
    const char *secret;
    uint64_t secret_len;
    /* What the daemon reports for the host's status page (mod_swiftgate's
     * scoreboard); each NULL when not wanted. A worker reports the request
     * it starts (its environ, as the application gets it) and ends (the
     * status sent, body bytes read and written), each on its own thread
     * with its own worker number below threads; a library is reported
     * when an application from it starts. */
    void *report_ctx;
    void (*request_begin)(void *ctx, uint32_t worker,
                          const swiftgate_pair *environ, uint64_t count);
    void (*request_end)(void *ctx, uint32_t worker, int32_t status,
                        uint64_t bytes_in, uint64_t bytes_out);
    void (*library_loaded)(void *ctx, const char *path, uint64_t len);
    /* Process management; a daemon given a struct that ends before
     * interrupt_timeout_ms uses the defaults named here. */
    /* After request-timeout a request's task is cancelled; one still
     * running this long after is given up on (the process exits TIMEOUT
     * as above). 0: exit at request-timeout, as before cancellation. */
    uint64_t interrupt_timeout_ms;
    /* Recycle (stop accepting, finish within graceful_timeout_ms, exit
     * MEMORY) once the resident set passes this; 0 never. */
    uint64_t memory_limit_bytes;
    /* A URL path requested inside the daemon, for every preloaded
     * application, before it reports serving; a status other than 2xx
     * ends it with SWIFTGATE_DAEMON_EXIT_HEALTH. NULL: no check. */
    const char *health_check;
    /* A URL path the daemon answers itself, without calling an
     * application, for a balancer's probe: GET or HEAD of exactly this
     * path gets 200 "ok" while the process serves and 503 once it drains
     * or stops. The request must still carry the secret. NULL or empty:
     * none. A daemon given a struct that ends before it has none. */
    const char *health_path;
} swiftgate_daemon_config;

/* swiftgate_daemon_config.flags: serve even with user or effective user
 * id 0. Without it a daemon running as root refuses to load applications
 * (and exits FAILED); mod_swiftgate never sets it. */
#define SWIFTGATE_DAEMON_ALLOW_ROOT 1u

/* Runs the daemon until it is stopped or recycles; returns an exit status
 * above. Called once per process. */
typedef int32_t (*swiftgate_daemon_main_fn)(
    const swiftgate_daemon_config *config);

/* ---- FastCGI (daemon mode), the numbers of the FastCGI 1.0 spec ---- */

#define SWIFTGATE_FCGI_VERSION     1
#define SWIFTGATE_FCGI_HEADER_LEN  8
#define SWIFTGATE_FCGI_MAX_CONTENT 65535

#define SWIFTGATE_FCGI_BEGIN_REQUEST     1
#define SWIFTGATE_FCGI_ABORT_REQUEST     2
#define SWIFTGATE_FCGI_END_REQUEST       3
#define SWIFTGATE_FCGI_PARAMS            4
#define SWIFTGATE_FCGI_STDIN             5
#define SWIFTGATE_FCGI_STDOUT            6
#define SWIFTGATE_FCGI_STDERR            7
#define SWIFTGATE_FCGI_DATA              8
#define SWIFTGATE_FCGI_GET_VALUES        9
#define SWIFTGATE_FCGI_GET_VALUES_RESULT 10
#define SWIFTGATE_FCGI_UNKNOWN_TYPE      11

#define SWIFTGATE_FCGI_RESPONDER  1
#define SWIFTGATE_FCGI_AUTHORIZER 2
#define SWIFTGATE_FCGI_FILTER     3

#define SWIFTGATE_FCGI_KEEP_CONN 1

#define SWIFTGATE_FCGI_REQUEST_COMPLETE 0
#define SWIFTGATE_FCGI_CANT_MPX_CONN    1
#define SWIFTGATE_FCGI_OVERLOADED       2
#define SWIFTGATE_FCGI_UNKNOWN_ROLE     3

#if !defined(__cplusplus)
_Static_assert(sizeof(swiftgate_pair) == 32, "swiftgate_pair layout");
_Static_assert(sizeof(void *) == 8, "swiftgate supports 64-bit hosts only");
_Static_assert(sizeof(swiftgate_host) == 48, "swiftgate_host layout");
_Static_assert(sizeof(swiftgate_app_info) == 48, "swiftgate_app_info layout");
_Static_assert(sizeof(swiftgate_request) == 88, "swiftgate_request layout");
_Static_assert(sizeof(swiftgate_check_request) == 80,
               "swiftgate_check_request layout");
_Static_assert(sizeof(swiftgate_daemon_config) == 248,
               "swiftgate_daemon_config layout");
#endif

#ifdef __cplusplus
}
#endif

#endif /* SWIFTGATE_H */
