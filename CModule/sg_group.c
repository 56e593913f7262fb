/*
 * sg_group.c -- the registry of daemon process groups: each group's
 * defaults and options, lookup by name, and waiting for a group's first
 * serving process.
 */
#include "sg_group.h"

#include "apr_atomic.h"
#include "apr_strings.h"

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
/* How long a request whose task was cancelled at request-timeout may take
 * to end before its process is drained and replaced (mod_wsgi 6's
 * interrupt-timeout): long enough for an application to unwind a database
 * wait, short enough that a stuck thread does not linger. */
#define SG_DEFAULT_INTERRUPT_TIMEOUT apr_time_from_sec(5)
/* How long an extra process of an adaptive pool may stay idle before it is
 * stopped: a pool that grew for a burst gives the memory back within a
 * minute of the burst's end. */
#define SG_DEFAULT_IDLE_TIMEOUT apr_time_from_sec(60)
/* How often a request waiting for a group's first serving process looks. */
#define SG_SERVING_POLL apr_time_from_msec(10)

static apr_array_header_t *groups;

#define GROUP_OPTION(name, parse, field)                                       \
    {                                                                          \
        name, parse, APR_OFFSETOF(sg_group, field)                             \
    }

const sg_option sg_group_options[] = {
    GROUP_OPTION("processes", sg_options_positive, processes),
    GROUP_OPTION("threads", sg_options_positive, threads),
    GROUP_OPTION("user", sg_options_user, user),
    GROUP_OPTION("group", sg_options_unix_group, group_name),
    GROUP_OPTION("home", sg_options_directory, home),
    GROUP_OPTION("settings", sg_options_file, settings),
    GROUP_OPTION("env", sg_options_env, env),
    GROUP_OPTION("display-name", sg_options_name, display_name),
    GROUP_OPTION("umask", sg_options_umask, umask),
    GROUP_OPTION("listen-backlog", sg_options_positive, listen_backlog),
    GROUP_OPTION("maximum-requests", sg_options_count, maximum_requests),
    GROUP_OPTION("restart-interval", sg_options_seconds, restart_interval),
    GROUP_OPTION("inactivity-timeout", sg_options_seconds, inactivity_timeout),
    GROUP_OPTION("request-timeout", sg_options_seconds, request_timeout),
    GROUP_OPTION("queue-timeout", sg_options_seconds, queue_timeout),
    GROUP_OPTION("connect-timeout", sg_options_seconds, connect_timeout),
    GROUP_OPTION("socket-timeout", sg_options_seconds, socket_timeout),
    GROUP_OPTION("startup-timeout", sg_options_seconds, startup_timeout),
    GROUP_OPTION("graceful-timeout", sg_options_seconds, graceful_timeout),
    GROUP_OPTION("slow-request", sg_options_seconds, slow_request),
    GROUP_OPTION("shutdown-timeout", sg_options_seconds, shutdown_timeout),
    GROUP_OPTION("reload-on-change", sg_options_on_off, reload_on_change),
    GROUP_OPTION("interrupt-timeout", sg_options_seconds, interrupt_timeout),
    GROUP_OPTION("memory-limit", sg_options_positive, memory_limit),
    GROUP_OPTION("health-check", sg_options_name, health_check),
    GROUP_OPTION("health-path", sg_options_url_path, health_path),
    GROUP_OPTION("min-processes", sg_options_positive, min_processes),
    GROUP_OPTION("max-processes", sg_options_positive, max_processes),
    GROUP_OPTION("idle-timeout", sg_options_seconds, idle_timeout),
    {NULL, NULL, 0}};

const char *sg_group_check_options(apr_pool_t *p, sg_group *g)
{
    const char *where = apr_psprintf(p, "SwiftGateDaemonProcess %s", g->name);

    if (g->health_check
        && (g->health_check[0] != '/' || strchr(g->health_check, '#')
            || strpbrk(g->health_check, " \t\r\n"))) {
        return apr_psprintf(p,
                            "%s: health-check '%s' must be a URL path "
                            "starting with '/'",
                            where, g->health_check);
    }
    if (!g->min_processes && !g->max_processes) {
        g->processes = g->processes ? g->processes : SG_DEFAULT_PROCESSES;
        if (g->idle_timeout) {
            return apr_psprintf(p,
                                "%s: idle-timeout needs an adaptive pool "
                                "(min-processes= and max-processes=)",
                                where);
        }
        g->min_processes = g->processes;
        return NULL;
    }
    if (g->processes) {
        return apr_psprintf(p,
                            "%s: processes= is the fixed pool; give "
                            "min-processes= and max-processes= instead",
                            where);
    }
    if (!g->max_processes) {
        return apr_psprintf(p,
                            "%s: min-processes=%d needs max-processes=", where,
                            g->min_processes);
    }
    if (!g->min_processes) {
        g->min_processes = 1;
    }
    if (g->min_processes > g->max_processes) {
        return apr_psprintf(p,
                            "%s: min-processes=%d is more than "
                            "max-processes=%d",
                            where, g->min_processes, g->max_processes);
    }
    if (!g->idle_timeout) {
        g->idle_timeout = SG_DEFAULT_IDLE_TIMEOUT;
    }
    g->processes = g->max_processes;
    return NULL;
}

void sg_group_reset(apr_pool_t *pconf)
{
    groups = apr_array_make(pconf, 4, sizeof(sg_group));
}

sg_group *sg_group_add(apr_pool_t *p, const char *name)
{
    sg_group *g = apr_array_push(groups);

    memset(g, 0, sizeof(*g));
    g->name = apr_pstrdup(p, name);
    g->processes = 0; /* SG_DEFAULT_PROCESSES unless a pool is adaptive */
    g->threads = SG_DEFAULT_THREADS;
    g->env = apr_array_make(p, 2, sizeof(const char *));
    g->display_name = apr_psprintf(p, "(swiftgate:%s)", name);
    g->umask = -1;
    g->listen_backlog = SG_DEFAULT_LISTEN_BACKLOG;
    g->connect_timeout = SG_DEFAULT_CONNECT_TIMEOUT;
    g->graceful_timeout = SG_DEFAULT_GRACEFUL_TIMEOUT;
    g->shutdown_timeout = SG_DEFAULT_SHUTDOWN_TIMEOUT;
    g->reload_on_change = 1;
    g->interrupt_timeout = SG_DEFAULT_INTERRUPT_TIMEOUT;
    g->listen_fd = -1;
    return g;
}

apr_array_header_t *sg_group_all(void)
{
    return groups;
}

sg_group *sg_group_find(const char *name)
{
    sg_group *g = (sg_group *)groups->elts;
    int i;

    for (i = 0; i < groups->nelts; i++) {
        if (!strcmp(g[i].name, name)) {
            return &g[i];
        }
    }
    return NULL;
}

int sg_group_wait_serving(const sg_group *g, apr_time_t deadline)
{
    int i;

    for (;;) {
        for (i = 0; i < sg_group_slots(g); i++) {
            if (apr_atomic_read32(&g->serving[i])) {
                return 1;
            }
        }
        if (apr_time_now() >= deadline) {
            return 0;
        }
        apr_sleep(SG_SERVING_POLL);
    }
}
