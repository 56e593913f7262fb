/*
 * sg_daemon_pool.c -- a daemon group's processes over time, in the Apache
 * parent: rolling restarts (one process at a time, each replacement on
 * trial until it serves, which a health check gates inside the daemon),
 * the watch on the group's libraries that starts one, and the size of an
 * adaptive pool. The parent's tick (sg_daemon.c) and the ends of processes
 * drive it; nothing here waits.
 */
#include "sg_daemon_private.h"
#include "sg_log.h"
#include "sg_scoreboard.h"

#include "apr_atomic.h"
#include "apr_strings.h"
#include "http_core.h"

#include "swiftgate.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The longest a replacement may take to serve (its applications started
 * and, with health-check=, answering it) before it is refused, when the
 * group sets no startup-timeout: a start that hangs must not hold a
 * rolling restart, and with it every later deploy, for ever. */
#define SG_DEFAULT_TRIAL_TIMEOUT apr_time_from_sec(60)
/* An adaptive pool grows once every thread of its processes has been busy
 * (or requests have waited on its socket) this long: long enough that one
 * burst of a second does not fork, short enough to catch a real rise. */
#define SG_DEFAULT_GROW_AFTER apr_time_from_sec(1)

/* How often the parent does its periodic work (rolling restarts, the
 * libraries' watch, pool sizes, control commands). httpd's monitor hook
 * runs every ten seconds only; a helper process that exits after this
 * long wakes the parent's other-child callback instead, on its own thread
 * and within the MPM's one-second reaping loop. */
#define SG_DEFAULT_TICK apr_time_from_msec(500)

/* A library as last seen on disk. */
typedef struct sg_library_state {
    const char *path;
    int exists;
    dev_t dev;
    ino_t ino;
    off_t size;
    apr_time_t mtime;
} sg_library_state;

typedef struct sg_pool {
    int target;     /* processes that should run */
    unsigned epoch; /* bumped by each rolling restart */
    /* The rolling restart under way, if any. */
    int rolling;
    const char *why;
    apr_time_t began;
    int to_replace;
    int replaced;
    sg_daemon *candidate;
    apr_time_t candidate_since;
    int library_change; /* started by the watch: known = seen at its end */
    /* The libraries the group's processes preload. */
    int nlibs;
    sg_library_state *known;   /* what its processes were started with */
    sg_library_state *seen;    /* on disk at the last tick */
    sg_library_state *trying;  /* what a rolling restart started with */
    sg_library_state *refused; /* what the last failed one started with */
    int have_refused;
    apr_time_t saturated_since;
} sg_pool;

static server_rec *main_server(void)
{
    return sg_daemon_current()->main_server;
}

/* ---- the libraries ---- */

static void library_stat(sg_library_state *l)
{
    struct stat st;

    l->exists = stat(l->path, &st) == 0;
    l->dev = l->exists ? st.st_dev : 0;
    l->ino = l->exists ? st.st_ino : 0;
    l->size = l->exists ? st.st_size : 0;
    l->mtime = l->exists
                   ? apr_time_make(st.st_mtim.tv_sec, st.st_mtim.tv_nsec / 1000)
                   : 0;
}

static int library_same(const sg_library_state *a, const sg_library_state *b)
{
    return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino
           && a->size == b->size && a->mtime == b->mtime;
}

static void libraries_copy(sg_pool *pool, sg_library_state *to,
                           const sg_library_state *from)
{
    memcpy(to, from, sizeof(*to) * pool->nlibs);
}

/* The first library that differs between a and b, or NULL. */
static const char *libraries_differ(const sg_pool *pool,
                                    const sg_library_state *a,
                                    const sg_library_state *b)
{
    int i;

    for (i = 0; i < pool->nlibs; i++) {
        if (!library_same(&a[i], &b[i])) {
            return a[i].path;
        }
    }
    return NULL;
}

/* Every library of the group, from its preload list ("library\ncallable\n
 * group" strings), each once. */
static void libraries_init(apr_pool_t *p, sg_pool *pool, const sg_group *g)
{
    int n = 0, i, j;

    for (i = 0; g->preload && g->preload[i]; i++) {
        n++;
    }
    pool->known = apr_pcalloc(p, sizeof(sg_library_state) * (n + 1));
    pool->seen = apr_pcalloc(p, sizeof(sg_library_state) * (n + 1));
    pool->trying = apr_pcalloc(p, sizeof(sg_library_state) * (n + 1));
    pool->refused = apr_pcalloc(p, sizeof(sg_library_state) * (n + 1));
    for (i = 0; g->preload && g->preload[i]; i++) {
        const char *nl = strchr(g->preload[i], '\n');
        const char *path =
            nl ? apr_pstrmemdup(p, g->preload[i], nl - g->preload[i])
               : g->preload[i];

        for (j = 0; j < pool->nlibs && strcmp(pool->known[j].path, path); j++) {
        }
        if (j == pool->nlibs) {
            pool->known[pool->nlibs].path = path;
            library_stat(&pool->known[pool->nlibs]);
            pool->nlibs++;
        }
    }
    libraries_copy(pool, pool->seen, pool->known);
    libraries_copy(pool, pool->trying, pool->known);
}

static const char *libraries_text(apr_pool_t *p, const sg_pool *pool)
{
    const char *text = "";
    int i;

    for (i = 0; i < pool->nlibs; i++) {
        text = apr_pstrcat(p, text, i ? ", " : "", pool->known[i].path, NULL);
    }
    return *text ? text : "(none preloaded)";
}

/* ---- the processes ---- */

static sg_daemon *find_old(sg_group *g)
{
    int i;

    for (i = 0; i < sg_group_slots(g); i++) {
        sg_daemon *d = &g->daemons[i];
        if (d->proc.pid > 0 && d->role == SG_ROLE_MEMBER
            && d->epoch < g->pool->epoch) {
            return d;
        }
    }
    return NULL;
}

static sg_daemon *find_empty(sg_group *g)
{
    int i;

    for (i = 0; i < sg_group_slots(g); i++) {
        if (g->daemons[i].proc.pid <= 0) {
            return &g->daemons[i];
        }
    }
    return NULL;
}

static int count_members(sg_group *g)
{
    int i, n = 0;

    for (i = 0; i < sg_group_slots(g); i++) {
        n += g->daemons[i].proc.pid > 0 && g->daemons[i].role == SG_ROLE_MEMBER;
    }
    return n;
}

/* Tells a process to stop accepting, finish within graceful-timeout and
 * exit; it is not replaced. */
static void retire(sg_daemon *d)
{
    d->role = SG_ROLE_RETIRING;
    kill(d->proc.pid, SIGUSR2);
}

static void start_member(sg_daemon *d)
{
    d->role = SG_ROLE_MEMBER;
    d->failures = 0;
    d->busy_seen = apr_time_now();
    sg_daemon_spawn(d, 0);
}

/* ---- rolling restarts ---- */

static const char *exit_meaning(apr_pool_t *p, int status)
{
    switch (status) {
        case SWIFTGATE_DAEMON_EXIT_HEALTH:
            return "its health check failed";
        case SWIFTGATE_DAEMON_EXIT_STARTUP:
            return "starting its applications passed startup-timeout";
        case SWIFTGATE_DAEMON_EXIT_FAILED:
            return "it could not serve (see the lines before)";
        default:
            return apr_psprintf(p,
                                "it ended with status %d (an exit status, or "
                                "the signal that killed it)",
                                status);
    }
}

/* What a rolling restart was deploying, for the refusal line. */
static const char *deploying(apr_pool_t *p, const sg_pool *pool)
{
    const char *changed = libraries_differ(pool, pool->trying, pool->known);

    if (pool->library_change && changed) {
        return apr_psprintf(p, "application library %s (changed on disk)",
                            changed);
    }
    return apr_psprintf(p, "the application libraries on disk (%s)",
                        libraries_text(p, pool));
}

/* Gives a rolling restart up: the replacement is stopped and the old
 * processes keep serving. */
static void refuse(sg_group *g, pid_t pid, const char *reason)
{
    sg_pool *pool = g->pool;
    apr_pool_t *p = sg_daemon_current()->pool;

    sg_log_s(APLOG_ERR, 0, main_server(), SG_LOGNO(00424),
             "daemon group '%s': refused %s: replacement process "
             "%" APR_PID_T_FMT " did not come to serve: %s; the rolling "
             "restart (%s) stops after %d of %d processes, and the %d "
             "others keep serving",
             g->name, deploying(p, pool), pid, reason, pool->why,
             pool->replaced, pool->to_replace,
             pool->to_replace - pool->replaced);
    if (pool->library_change) {
        libraries_copy(pool, pool->refused, pool->trying);
        pool->have_refused = 1;
    }
    pool->rolling = 0;
    pool->candidate = NULL;
}

static void roll_step(sg_group *g)
{
    sg_pool *pool = g->pool;
    sg_daemon *d = pool->candidate, *old;
    apr_time_t now = apr_time_now();
    apr_interval_time_t trial = g->startup_timeout
                                    ? g->startup_timeout + apr_time_from_sec(5)
                                    : SG_DEFAULT_TRIAL_TIMEOUT;

    if (d) {
        if (!apr_atomic_read32(&g->serving[d->slot])) {
            if (now - pool->candidate_since > trial) {
                refuse(g, d->proc.pid,
                       apr_psprintf(sg_daemon_current()->pool,
                                    "not serving after %ld s",
                                    (long)apr_time_sec(trial)));
                retire(d);
                kill(d->proc.pid, SIGTERM);
            }
            return;
        }
        d->role = SG_ROLE_MEMBER;
        pool->candidate = NULL;
        if ((old = find_old(g))) {
            pool->replaced++;
            sg_log_s(APLOG_INFO, 0, main_server(), SG_LOGNO(00421),
                     "daemon group '%s': replacement process %" APR_PID_T_FMT
                     " serves%s; recycling process %" APR_PID_T_FMT
                     " (%d of %d)",
                     g->name, d->proc.pid,
                     g->health_check ? " and answered its health check" : "",
                     old->proc.pid, pool->replaced, pool->to_replace);
            retire(old);
        }
    }
    if (!find_old(g)) {
        sg_log_s(APLOG_NOTICE, 0, main_server(), SG_LOGNO(00423),
                 "daemon group '%s': rolling restart (%s) done: %d "
                 "process(es) replaced in %.1f s",
                 g->name, pool->why, pool->replaced,
                 (double)(now - pool->began) / APR_USEC_PER_SEC);
        if (pool->library_change) {
            libraries_copy(pool, pool->known, pool->trying);
            pool->have_refused = 0;
        }
        pool->rolling = 0;
        return;
    }
    if (!(d = find_empty(g))) {
        return; /* a recycled process is still finishing its requests */
    }
    d->role = SG_ROLE_CANDIDATE;
    d->epoch = pool->epoch;
    d->failures = 0;
    pool->candidate = d;
    pool->candidate_since = now;
    sg_daemon_spawn(d, 0);
}

const char *sg_pool_restart(sg_group *g, const char *why)
{
    sg_pool *pool = g->pool;
    apr_pool_t *p = sg_daemon_current()->pool;

    if (pool->rolling) {
        return apr_psprintf(p, "a rolling restart (%s) is under way",
                            pool->why);
    }
    pool->rolling = 1;
    pool->epoch++;
    pool->why = apr_pstrdup(p, why);
    pool->began = apr_time_now();
    pool->replaced = 0;
    pool->to_replace = count_members(g);
    pool->candidate = NULL;
    pool->library_change = 0;
    libraries_copy(pool, pool->trying, pool->seen);
    sg_log_s(APLOG_NOTICE, 0, main_server(), SG_LOGNO(00420),
             "daemon group '%s': rolling restart (%s): replacing %d "
             "process(es) one at a time, each once its replacement "
             "serves%s",
             g->name, pool->why, pool->to_replace,
             g->health_check
                 ? apr_psprintf(p, " and answers %s", g->health_check)
                 : "");
    roll_step(g);
    return NULL;
}

/* Starts a rolling restart when a library changed and then held still for
 * a tick (a copy in progress is not deployed half-written), unless that
 * very file was refused before. */
static void watch_libraries(sg_group *g)
{
    sg_pool *pool = g->pool;
    sg_library_state now[pool->nlibs + 1];
    const char *changed;
    int i;

    for (i = 0; i < pool->nlibs; i++) {
        now[i].path = pool->known[i].path;
        library_stat(&now[i]);
    }
    if (libraries_differ(pool, now, pool->seen)) {
        libraries_copy(pool, pool->seen, now);
        return;
    }
    if (!(changed = libraries_differ(pool, now, pool->known))
        || (pool->have_refused && !libraries_differ(pool, now, pool->refused))
        || pool->rolling) {
        return;
    }
    sg_pool_restart(g, apr_psprintf(sg_daemon_current()->pool,
                                    "%s changed on disk", changed));
    pool->library_change = 1;
}

/* ---- the adaptive pool ---- */

static void size_pool(sg_group *g)
{
    sg_pool *pool = g->pool;
    apr_time_t now = apr_time_now();
    struct pollfd queue = {g->listen_fd, POLLIN, 0};
    int gi = (int)(g - (sg_group *)sg_daemon_current()->groups->elts);
    int i, serving = 0, saturated = 1, members = 0, queued;
    sg_daemon *idle = NULL;

    for (i = 0; i < sg_group_slots(g); i++) {
        sg_daemon *d = &g->daemons[i];
        /* The scoreboard's slot is written by the process: a hint, that
         * at most makes the pool grow within max-processes. */
        const sg_sb_process *sb = sg_scoreboard_process((sg_sb_where){gi, i});
        int busy = sg_scoreboard_busy(gi, i);

        if (d->proc.pid <= 0 || d->role != SG_ROLE_MEMBER) {
            continue;
        }
        members++;
        if (busy > 0 || (sb && sb->requests != d->requests_seen)) {
            d->busy_seen = now;
            d->requests_seen = sb ? sb->requests : 0;
        }
        if (apr_atomic_read32(&g->serving[i])) {
            serving++;
            saturated = saturated && busy >= g->threads;
        }
        if (now - d->busy_seen > g->idle_timeout
            && (!idle || d->busy_seen < idle->busy_seen)) {
            idle = d;
        }
    }
    saturated = serving > 0 && saturated;
    /* Connections waiting for a process to accept them: the kernel's count,
     * or (without it) whether the socket is readable. */
    queued = sg_scoreboard_queue_length(gi);
    if (queued > 0
        || (queued < 0 && g->listen_fd >= 0 && poll(&queue, 1, 0) > 0)) {
        saturated = 1;
    }
    if (!saturated) {
        pool->saturated_since = 0;
    }
    else if (!pool->saturated_since) {
        pool->saturated_since = now;
    }
    if (saturated && pool->target < g->max_processes
        && now - pool->saturated_since >= SG_DEFAULT_GROW_AFTER) {
        pool->saturated_since = 0;
        pool->target++;
        sg_log_s(APLOG_NOTICE, 0, main_server(), SG_LOGNO(00426),
                 "daemon group '%s': every thread of its %d process(es) "
                 "busy or requests queued for %ld ms; growing to %d "
                 "processes (max-processes %d)",
                 g->name, serving,
                 (long)apr_time_as_msec(SG_DEFAULT_GROW_AFTER), pool->target,
                 g->max_processes);
    }
    else if (!saturated && idle && pool->target > g->min_processes
             && members > 1) {
        pool->target--;
        sg_log_s(APLOG_NOTICE, 0, main_server(), SG_LOGNO(00427),
                 "daemon group '%s': process %" APR_PID_T_FMT " idle for "
                 "%ld s (idle-timeout %ld s); shrinking to %d processes "
                 "(min-processes %d)",
                 g->name, idle->proc.pid,
                 (long)apr_time_sec(now - idle->busy_seen),
                 (long)apr_time_sec(g->idle_timeout), pool->target,
                 g->min_processes);
        retire(idle);
        members--;
    }
    /* Start processes up to the target. */
    for (; members < pool->target; members++) {
        sg_daemon *d = find_empty(g);
        if (!d) {
            break;
        }
        start_member(d);
    }
}

const char *sg_pool_scale(sg_group *g, int n, const char *who)
{
    sg_pool *pool = g->pool;
    apr_pool_t *p = sg_daemon_current()->pool;
    int before = pool->target, members;

    if (!g->max_processes) {
        return apr_psprintf(p,
                            "group '%s' has a fixed pool of %d processes; "
                            "give it min-processes= and max-processes= to "
                            "scale it",
                            g->name, g->processes);
    }
    if (n < g->min_processes || n > g->max_processes) {
        return apr_psprintf(p,
                            "%d is outside min-processes=%d and "
                            "max-processes=%d of group '%s'",
                            n, g->min_processes, g->max_processes, g->name);
    }
    if (pool->rolling) {
        return apr_psprintf(p, "a rolling restart (%s) is under way",
                            pool->why);
    }
    pool->target = n;
    sg_log_s(APLOG_NOTICE, 0, main_server(), SG_LOGNO(00428),
             "daemon group '%s': scaled from %d to %d processes, asked by %s",
             g->name, before, n, who);
    members = count_members(g);
    while (members > n) {
        sg_daemon *youngest = NULL;
        int i;

        for (i = 0; i < sg_group_slots(g); i++) {
            sg_daemon *d = &g->daemons[i];
            if (d->proc.pid > 0 && d->role == SG_ROLE_MEMBER
                && (!youngest || d->started > youngest->started)) {
                youngest = d;
            }
        }
        retire(youngest);
        members--;
    }
    for (; members < n; members++) {
        sg_daemon *d = find_empty(g);
        if (!d) {
            break;
        }
        start_member(d);
    }
    return NULL;
}

/* ---- what sg_daemon.c calls ---- */

void sg_pool_init(apr_pool_t *p, sg_group *g)
{
    g->pool = apr_pcalloc(p, sizeof(sg_pool));
    g->pool->target = g->min_processes;
    libraries_init(p, g->pool, g);
}

/* Starts processes up to the target of a fixed pool (after a rolling
 * restart that took over fewer processes than the configuration wants). */
static void fill(sg_group *g)
{
    int members = count_members(g);
    sg_daemon *d;

    for (; members < g->pool->target && (d = find_empty(g)); members++) {
        start_member(d);
    }
}

void sg_pool_tick(sg_group *g)
{
    if (g->reload_on_change && g->pool->nlibs) {
        watch_libraries(g);
    }
    if (g->pool->rolling) {
        roll_step(g);
    }
    else if (g->max_processes) {
        size_pool(g);
    }
    else {
        fill(g);
    }
}

void sg_pool_adopted(sg_group *g, int adopted)
{
    sg_pool *pool = g->pool;

    if (g->max_processes) {
        pool->target = adopted < g->min_processes   ? g->min_processes
                       : adopted > g->max_processes ? g->max_processes
                                                    : adopted;
    }
    sg_pool_restart(g, "apachectl graceful");
}

int sg_pool_process_ended(sg_daemon *d, pid_t pid, int status)
{
    sg_group *g = d->group;
    sg_pool *pool = g->pool;

    switch (d->role) {
        case SG_ROLE_CANDIDATE:
            d->role = SG_ROLE_MEMBER;
            if (pool->candidate == d) {
                refuse(g, pid, exit_meaning(sg_daemon_current()->pool, status));
            }
            return 1;
        case SG_ROLE_RETIRING:
            sg_log_s(APLOG_INFO, 0, main_server(), SG_LOGNO(00425),
                     "daemon group '%s': process %" APR_PID_T_FMT " finished "
                     "its requests and exited (status %d); not replaced",
                     g->name, pid, status);
            d->role = SG_ROLE_MEMBER;
            if (pool->rolling) {
                roll_step(g);
            }
            return 1;
        default:
            return 0;
    }
}

/* ---- the parent's tick ---- */

/* The helper whose exit is the parent's tick, and a pool of its own for
 * its registration (a new one each tick: nothing accumulates). */
static apr_proc_t ticker;
static apr_pool_t *ticker_pool;
static int ticker_registered;

static void ticker_event(int reason, void *data, int status)
{
    const sg_daemon_cycle *c = sg_daemon_current();
    apr_pool_t *pool = ticker_pool;
    apr_array_header_t *groups = c->groups;
    int i;

    if (reason == APR_OC_REASON_UNREGISTER) {
        /* Unregistered: by us below, or by its pool's destruction (the
         * process pool's, when Apache exits), after which neither the
         * registration nor the pool may be touched again. */
        ticker_registered = 0;
        ticker_pool = NULL;
        return;
    }
    if (reason != APR_OC_REASON_DEATH && reason != APR_OC_REASON_LOST) {
        return;
    }
    apr_proc_other_child_unregister(data);
    apr_pool_destroy(pool);
    ticker.pid = 0;
    if (getpid() != c->parent_pid
        || ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_RUN_MPM) {
        return;
    }
    for (i = 0; i < groups->nelts; i++) {
        sg_pool_tick(&((sg_group *)groups->elts)[i]);
    }
    sg_control_poll();
    sg_daemon_monitor(); /* the daemons' output, sooner than the hook */
    sg_pool_ticker_start();
}

void sg_pool_ticker_start(void)
{
    const sg_daemon_cycle *c = sg_daemon_current();
    static const int reset[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGWINCH, 0};
    apr_status_t rv;
    int i;

    /* Under the process pool, not the cycle's: it is destroyed here alone,
     * never by the end of a cycle before end_generation runs. */
    if (apr_pool_create(&ticker_pool, c->main_server->process->pool)
        != APR_SUCCESS) {
        return;
    }
    rv = apr_proc_fork(&ticker, ticker_pool);
    if (rv == APR_INCHILD) {
        for (i = 0; reset[i]; i++) {
            signal(reset[i], SIG_DFL);
        }
        prctl(PR_SET_NAME, "swiftgate-tick", 0, 0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (getppid() == c->parent_pid) {
            poll(NULL, 0, (int)apr_time_as_msec(SG_DEFAULT_TICK));
        }
        _exit(0);
    }
    if (rv != APR_INPARENT) {
        ticker.pid = 0;
        apr_pool_destroy(ticker_pool);
        ticker_pool = NULL;
        sg_log_s(APLOG_CRIT, rv, c->main_server, SG_LOGNO(00415),
                 "cannot fork the daemon groups' tick helper: rolling "
                 "restarts, pool sizes and control commands wait");
        return;
    }
    apr_proc_other_child_register(&ticker, ticker_event, &ticker, NULL,
                                  ticker_pool);
    ticker_registered = 1;
}

void sg_pool_ticker_stop(void)
{
    apr_pool_t *pool = ticker_pool;

    if (ticker.pid > 0) {
        kill(ticker.pid, SIGKILL);
        waitpid(ticker.pid, NULL, 0);
        ticker.pid = 0;
    }
    if (ticker_registered) {
        apr_proc_other_child_unregister(&ticker);
        apr_pool_destroy(pool);
    }
    ticker_pool = NULL;
}
