/*
 * sg_group.h -- a daemon process group as SwiftGateDaemonProcess defines
 * it, and the process management that runs it (sg_daemon.c; the daemon
 * process itself in sg_daemon_process.c).
 */
#ifndef SG_GROUP_H
#define SG_GROUP_H

#include "httpd.h"
#include "apr_time.h"

struct sg_daemon;

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
    int reload_on_change;
    const char *config_file;
    int config_line;

    /* Resolved at startup. */
    uid_t uid;
    gid_t gid;
    const char *user_name; /* for initgroups */
    const char *socket_path;
    int listen_fd; /* the parent's and the daemons'; -1 in Apache's children */
    /* Made anew for every configuration cycle: what Apache's children send
     * with every request and the daemons check before believing one (hex,
     * SG_SECRET_BYTES random bytes). Never in the environment or on disk. */
    const char *secret;
    struct sg_daemon *daemons; /* processes of them */
    /* One flag per process, in memory shared by the parent, the children
     * and the daemons: set while that process accepts requests. */
    volatile apr_uint32_t *serving;
} sg_group;

/* The groups defined in the configuration being read or running. */
apr_array_header_t *sg_groups(void);

/* The group called name, or NULL. */
sg_group *sg_group_find(const char *name);

/* Pre-config: a fresh registry for this configuration cycle. */
void sg_groups_reset(apr_pool_t *pconf);

/* Post-config, real pass: create sockets and start every group's daemons.
 * Returns OK or an HTTP status (startup fails). */
int sg_daemon_start_all(apr_pool_t *pconf, server_rec *s);

/* Child init: an Apache child closes every group's listening socket, so
 * that no code running in it (another site's embedded application, a
 * scripting module) can accept and answer a group's requests. */
void sg_daemon_child_init(void);

/* Waits until a process of g accepts requests, at most until deadline:
 * whether one does. */
int sg_group_wait_serving(const sg_group *g, apr_time_t deadline);

/* Startup checks: users, groups, the daemon library. */
int sg_daemon_check(apr_pool_t *p, server_rec *s);

#endif /* SG_GROUP_H */
