/*
 * sg_group.h -- daemon process groups as SwiftGateDaemonProcess defines
 * them: the record, the registry of the configuration being read or
 * running, and what Apache's children ask of a group. Running a group's
 * processes is sg_daemon.h's business.
 */
#ifndef SG_GROUP_H
#define SG_GROUP_H

#include "httpd.h"
#include "apr_time.h"

#include "sg_options.h"

struct sg_daemon;
struct sg_pool;

/* Process slots a group has beyond its processes (max-processes for an
 * adaptive pool): room for a replacement started, during a rolling
 * restart, before the process it replaces stops. */
#define SG_GROUP_SPARE_SLOTS 1

typedef struct sg_group {
    const char *name;
    int processes;
    int threads;
    const char *user;        /* NULL: Apache's User */
    const char *group_name;  /* NULL: Apache's Group */
    const char *home;        /* NULL: the user's home directory */
    const char *settings;    /* settings file, or NULL */
    apr_array_header_t *env; /* "KEY=VALUE" strings */
    const char *display_name;
    int umask; /* -1: inherited */
    int listen_backlog;
    apr_int64_t maximum_requests;
    apr_interval_time_t restart_interval;
    apr_interval_time_t inactivity_timeout;
    apr_interval_time_t request_timeout;
    apr_interval_time_t queue_timeout;
    apr_interval_time_t connect_timeout;
    apr_interval_time_t socket_timeout; /* 0: Apache's Timeout */
    apr_interval_time_t startup_timeout;
    apr_interval_time_t graceful_timeout;
    apr_interval_time_t shutdown_timeout;
    apr_interval_time_t slow_request; /* 0: none */
    int reload_on_change;
    /* Process management: how long a request cancelled at request-timeout
     * may take to end; recycle past memory_limit MiB resident (0 never);
     * a path every preloaded application must answer 2xx before a process
     * serves (NULL none); an adaptive pool between min_processes and
     * max_processes (0: the fixed processes=), shrinking a process idle
     * past idle_timeout. */
    apr_interval_time_t interrupt_timeout;
    int memory_limit;
    const char *health_check;
    /* The path a daemon answers itself for a balancer's probe (200 while
     * serving, 503 while draining); NULL none. */
    const char *health_path;
    int min_processes;
    int max_processes;
    apr_interval_time_t idle_timeout;
    const char *config_file;
    int config_line;

    /* Resolved at startup. */
    uid_t uid;
    gid_t gid;
    const char *user_name; /* for initgroups */
    /* The applications its processes start before serving, as
     * swiftgate_daemon_config.preload takes them; NULL-terminated. */
    const char *const *preload;
    const char *socket_path;
    dev_t socket_dev; /* the socket file as bound, to know it again */
    ino_t socket_ino;
    int listen_fd; /* the parent's and the daemons'; -1 in Apache's children */
    /* Given by the host (swiftgate serve): listen_fd and secret are set
     * before the start, and no socket file is made or removed. */
    const char *listen_address;
    /* Made anew for every configuration cycle: what Apache's children send
     * with every request and the daemons check before believing one (hex,
     * SG_SECRET_BYTES random bytes). Never in the environment or on disk. */
    const char *secret;
    struct sg_daemon *daemons; /* processes of them */
    /* One flag per process, in memory shared by the parent, the children
     * and the daemons: set while that process accepts requests. */
    volatile apr_uint32_t *serving;
    /* The parent's management of the group over time (sg_daemon_pool.c). */
    struct sg_pool *pool;
} sg_group;

/* The process slots of a group: its processes and the spare ones. */
#define sg_group_slots(g) ((g)->processes + SG_GROUP_SPARE_SLOTS)

/* SwiftGateDaemonProcess's options, read into an sg_group. */
extern const sg_option sg_group_options[];

/*
 * Checks the options of a group against each other, once its directive is
 * read: min-processes and max-processes together, min <= max, not with
 * processes=; health-check a URL path. Sets processes to max-processes
 * for an adaptive pool (the slots it may fill).
 * @param p where the message is allocated
 * @param g the group
 * @return NULL, or the message (naming the directive and the options)
 */
const char *sg_group_check_options(apr_pool_t *p, sg_group *g);

/*
 * Starts a fresh registry for a configuration cycle (pre-config).
 * @param pconf the cycle's pool, which holds the groups
 */
void sg_group_reset(apr_pool_t *pconf);

/*
 * Adds a group with every option at its default, for its directive to set.
 * @param p where the group's strings are allocated
 * @param name the group's name; no group may have it yet (sg_group_find)
 * @return the new group, valid until the registry grows again
 */
sg_group *sg_group_add(apr_pool_t *p, const char *name);

/*
 * The groups of the configuration being read or running.
 * @return an array of sg_group, in configuration order
 */
apr_array_header_t *sg_group_all(void);

/*
 * Looks a group up by name.
 * @param name the group's name
 * @return the group, or NULL when no SwiftGateDaemonProcess defines it
 */
sg_group *sg_group_find(const char *name);

/*
 * Waits until a process of a group accepts requests (its flag in serving).
 * @param g the group, whose daemons were started (sg_daemon_start_all)
 * @param deadline when to give up
 * @return 1 when a process serves, 0 when none did by deadline
 */
int sg_group_wait_serving(const sg_group *g, apr_time_t deadline);

#endif /* SG_GROUP_H */
