/*
 * sg_daemon.c -- daemon process groups in the Apache parent: the startup
 * checks, each group's listening socket and secret, forking daemons,
 * supervising them, and draining or stopping them. What a forked daemon
 * does is in sg_daemon_process.c; the groups themselves are sg_group.c's.
 *
 * The parent never loads Swift: a forked daemon drops privileges first and
 * only then opens libSwiftGateDaemon.so, which serves FastCGI on the group's
 * socket and loads the application libraries.
 */
#include "sg_daemon.h"
#include "sg_daemon_private.h"
#include "sg_library.h"
#include "sg_log.h"
#include "sg_scoreboard.h"

#include "apr_atomic.h"
#include "apr_general.h"
#include "apr_lib.h"
#include "apr_shm.h"
#include "apr_strings.h"
#include "apr_thread_proc.h"
#include "http_core.h"
#include "unixd.h"

#include "swiftgate.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* A daemon that fails this soon after it started counts as failing to
 * start: its replacement waits, twice as long each time, so that an
 * application that crashes while loading cannot make the parent fork in a
 * tight loop. */
#define SG_DEFAULT_FAST_DEATH apr_time_from_sec(10)
/* The longest wait before starting a failing daemon again. */
#define SG_DEFAULT_MAX_BACKOFF apr_time_from_sec(32)
/* The cycle sg_daemon_start_all was last given. */
static sg_daemon_cycle cycle;

const sg_daemon_cycle *sg_daemon_current(void)
{
    return &cycle;
}

/* ---- startup checks ---- */

/* libSwiftGateDaemon.so: as named, or beside the module this code is in. */
static const char *daemon_library(apr_pool_t *p,
                                  const sg_daemon_settings *settings)
{
    Dl_info info;
    char *dir, *slash;

    if (settings->library) {
        return settings->library;
    }
    if (dladdr((void *)&daemon_library, &info) && info.dli_fname) {
        dir = apr_pstrdup(p, info.dli_fname);
        slash = strrchr(dir, '/');
        if (slash) {
            *slash = '\0';
            return apr_pstrcat(p, dir, "/libSwiftGateDaemon.so", NULL);
        }
    }
    return ap_server_root_relative(p, "modules/libSwiftGateDaemon.so");
}

/* Resolves a group's user and group ids. */
static const char *resolve_identity(apr_pool_t *p, sg_group *g)
{
    struct passwd *pw = NULL;
    struct group *gr;

    if (g->user) {
        pw = getpwnam(g->user);
        if (!pw && apr_isdigit(*g->user)) {
            pw = getpwuid((uid_t)atol(g->user));
        }
    }
    else {
        pw = getpwuid(geteuid() == 0 ? ap_unixd_config.user_id : geteuid());
    }
    if (!pw) {
        return "its user does not exist";
    }
    if (pw->pw_uid == 0) {
        return "it would run as root; name another user= (daemon processes "
               "never run as root)";
    }
    if (geteuid() != 0 && pw->pw_uid != geteuid()) {
        return apr_psprintf(p, "user=%s needs Apache to start as root",
                            pw->pw_name);
    }
    g->uid = pw->pw_uid;
    g->user_name = apr_pstrdup(p, pw->pw_name);
    if (!g->home) {
        g->home = apr_pstrdup(p, pw->pw_dir);
    }
    if (g->group_name) {
        gr = getgrnam(g->group_name);
        if (!gr && apr_isdigit(*g->group_name)) {
            gr = getgrgid((gid_t)atol(g->group_name));
        }
        if (!gr) {
            return "its group does not exist";
        }
        g->gid = gr->gr_gid;
    }
    else {
        g->gid =
            g->user || geteuid() != 0 ? pw->pw_gid : ap_unixd_config.group_id;
    }
    if (geteuid() == 0 && g->gid == 0) {
        return "it would run with group root (gid 0); name another group= "
               "(daemon processes never run with group root)";
    }
    return NULL;
}

/* Where the groups' sockets go: SwiftGateSocketPrefix, or
 * DefaultRuntimeDir/swiftgate. */
static const char *socket_prefix(apr_pool_t *p,
                                 const sg_daemon_settings *settings)
{
    return settings->socket_prefix ? settings->socket_prefix
                                   : ap_runtime_dir_relative(p, "swiftgate");
}

/* The directory the sockets are made in must be one nobody else can write
 * to: whoever can may swap a socket for their own, or plant a link where
 * the parent, as root, changes a socket's owner. Owned by root (or by the
 * user Apache runs as, when it does not start as root), and not writable
 * by its group or others. */
static const char *check_socket_directory(apr_pool_t *p, const char *prefix)
{
    const char *slash = strrchr(prefix, '/');
    const char *dir = slash == prefix ? "/"
                      : slash ? apr_pstrmemdup(p, prefix, slash - prefix)
                              : ".";
    struct stat st;

    if (stat(dir, &st) != 0) {
        return apr_psprintf(p, "the socket directory %s does not exist", dir);
    }
    if (!S_ISDIR(st.st_mode)) {
        return apr_psprintf(p, "the socket directory %s is not a directory",
                            dir);
    }
    if (st.st_uid != 0 && st.st_uid != geteuid()) {
        return apr_psprintf(p,
                            "the socket directory %s is owned by uid %ld; it "
                            "must be owned by %s",
                            dir, (long)st.st_uid,
                            geteuid() == 0 ? "root" : "root or Apache's user");
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        return apr_psprintf(p,
                            "the socket directory %s is writable by its group "
                            "or others (mode %04o); other users could replace "
                            "the sockets",
                            dir, (unsigned)(st.st_mode & 07777));
    }
    return NULL;
}

int sg_daemon_check(apr_pool_t *p, server_rec *s, apr_array_header_t *groups,
                    const sg_daemon_settings *settings)
{
    sg_group *g = (sg_group *)groups->elts;
    const char *library, *err;
    int i;

    if (!groups->nelts) {
        return OK;
    }
    library = daemon_library(p, settings);
    if ((err = sg_library_check_file(p, library))) {
        sg_log_s(APLOG_CRIT, 0, s, SG_LOGNO(00401),
                 "daemon mode needs libSwiftGateDaemon.so: %s (install it "
                 "beside mod_swiftgate.so or name it with "
                 "SwiftGateDaemonLibrary)",
                 err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if ((err = check_socket_directory(p, socket_prefix(p, settings)))) {
        sg_log_s(APLOG_CRIT, 0, s, SG_LOGNO(00412),
                 "daemon mode: %s (SwiftGateSocketPrefix names another "
                 "place)",
                 err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    for (i = 0; i < groups->nelts; i++) {
        if (g[i].group_name && geteuid() != 0) {
            sg_log_s(APLOG_WARNING, 0, s, SG_LOGNO(00413),
                     "SwiftGateDaemonProcess %s (%s:%d): group=%s is "
                     "ignored: Apache does not start as root, so the "
                     "daemons keep its group",
                     g[i].name, g[i].config_file, g[i].config_line,
                     g[i].group_name);
        }
        if ((err = resolve_identity(p, &g[i]))
            || (geteuid() == 0
                && (err = sg_library_check_access(p, library, g[i].uid,
                                                  g[i].gid)))) {
            sg_log_s(APLOG_CRIT, 0, s, SG_LOGNO(00402),
                     "SwiftGateDaemonProcess %s (%s:%d): %s", g[i].name,
                     g[i].config_file, g[i].config_line, err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

/* ---- in the parent ---- */

void sg_daemon_event(int reason, void *data, int status)
{
    sg_daemon *d = data;
    sg_group *g = d->group;
    int gi = (int)(g - (sg_group *)cycle.groups->elts);
    char incident[SG_SB_INCIDENT_LEN];
    apr_interval_time_t delay = 0;
    pid_t ended;
    int failed, fast, how;

    if (reason != APR_OC_REASON_DEATH && reason != APR_OC_REASON_LOST) {
        return;
    }
    apr_proc_other_child_unregister(d);
    if (getpid() != cycle.parent_pid) {
        return;
    }
    /* However it ended, it serves no more. */
    apr_atomic_set32(&g->serving[d->slot], 0);
    /* The MPM's reaper reports exit codes, APR's other-child refresh the
     * raw wait status: read both as the exit code (or signal number). */
    if (status > 255 && WIFEXITED(status)) {
        status = WEXITSTATUS(status);
    }
    ended = d->proc.pid;
    how = sg_scoreboard_process_ended(gi, d->slot, ended, status,
                                      reason == APR_OC_REASON_LOST);
    /* A request-timeout or memory-limit exit is a deliberate restart, not
     * a failure. */
    failed = reason == APR_OC_REASON_LOST
             || (status != SWIFTGATE_DAEMON_EXIT_OK
                 && status != SWIFTGATE_DAEMON_EXIT_TIMEOUT
                 && status != SWIFTGATE_DAEMON_EXIT_MEMORY);
    /* Its last words: under the incident id when it failed or was stopped
     * for request-timeout. */
    sg_scoreboard_incident(incident, ended, d->started);
    sg_crash_read_output(
        cycle.main_server, g->name, ended, &d->output, 1,
        failed || status == SWIFTGATE_DAEMON_EXIT_TIMEOUT ? incident : NULL);
    d->proc.pid = 0; /* the pool may fork into this slot at once */
    if (sg_pool_process_ended(d, ended, status)) {
        return;
    }
    fast = apr_time_now() - d->started < SG_DEFAULT_FAST_DEATH;
    d->failures = failed && fast ? d->failures + 1 : 0;
    /* The first early death is replaced at once; the next ones wait 1, 2,
     * 4 ... seconds. */
    if (d->failures > 1) {
        delay = apr_time_from_sec(1) << (d->failures - 2);
        if (delay > SG_DEFAULT_MAX_BACKOFF || d->failures > 16) {
            delay = SG_DEFAULT_MAX_BACKOFF;
        }
    }
    sg_log_s(
        failed ? APLOG_ERR : APLOG_INFO, 0, cycle.main_server, SG_LOGNO(00406),
        "daemon group '%s': process %" APR_PID_T_FMT " ended "
        "(%s %d%s%s); starting another%s%s",
        g->name, ended, how == SG_SB_ENDED_SIGNAL ? "signal" : "status", status,
        failed ? ", incident " : "", failed ? incident : "",
        delay ? " in " : "",
        delay ? apr_psprintf(cycle.pool, "%ld s", (long)apr_time_sec(delay))
              : "");
    d->proc.pid = 0;
    sg_daemon_spawn(d, delay);
}

/* In a forked daemon: the other daemons' output pipes are not its own. */
static void close_other_outputs(const sg_daemon *self)
{
    sg_group *g = (sg_group *)cycle.groups->elts;
    int i, j;

    sg_handover_close_outputs();
    for (i = 0; i < cycle.groups->nelts; i++) {
        for (j = 0; g[i].daemons && j < sg_group_slots(&g[i]); j++) {
            if (&g[i].daemons[j] != self && g[i].daemons[j].output.fd >= 0) {
                close(g[i].daemons[j].output.fd);
            }
        }
    }
}

void sg_daemon_spawn(sg_daemon *d, apr_interval_time_t delay)
{
    apr_status_t rv;
    int output[2];

    d->started = apr_time_now() + delay;
    sg_crash_pipe(output);
    rv = apr_proc_fork(&d->proc, cycle.pool);
    if (rv == APR_INCHILD) {
        close_other_outputs(d);
        sg_crash_daemon_side(output, cycle.main_server, cycle.pool);
        sg_daemon_process_main(&cycle, d, delay);
    }
    sg_crash_parent_side(output, &d->output);
    if (rv == APR_INPARENT) {
        sg_scoreboard_process_started(
            (int)(d->group - (sg_group *)cycle.groups->elts), d->slot,
            d->proc.pid, d->started);
    }
    if (rv != APR_INPARENT) {
        sg_log_s(APLOG_CRIT, rv, cycle.main_server, SG_LOGNO(00407),
                 "daemon group '%s': cannot fork", d->group->name);
        d->proc.pid = 0;
        return;
    }
    apr_proc_other_child_register(&d->proc, sg_daemon_event, d, NULL,
                                  cycle.pool);
}

static apr_status_t make_socket(apr_pool_t *p, sg_group *g)
{
    struct stat st;
    struct sockaddr_un sa;
    mode_t old;
    int fd, rc;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(g->socket_path) >= sizeof(sa.sun_path)) {
        return APR_ENAMETOOLONG;
    }
    strcpy(sa.sun_path, g->socket_path);
    unlink(g->socket_path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return errno;
    }
    /* Only the owner may connect: Apache's User, whose children forward
     * requests. The daemons inherit the listening socket itself. bind()
     * makes the socket under the umask, so it is never open to others,
     * and its owner changes without following a link. */
    old = umask(0177);
    rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (rc != 0
        || (geteuid() == 0
            && fchownat(AT_FDCWD, g->socket_path, ap_unixd_config.user_id,
                        (gid_t)-1, AT_SYMLINK_NOFOLLOW))
        || listen(fd, g->listen_backlog) != 0 || lstat(g->socket_path, &st)) {
        rc = errno;
        close(fd);
        return rc;
    }
    g->listen_fd = fd;
    g->socket_dev = st.st_dev;
    g->socket_ino = st.st_ino;
    return APR_SUCCESS;
}

/* A group's secret for this configuration cycle: random bytes from the
 * system's generator, as hex. */
static apr_status_t make_secret(apr_pool_t *p, sg_group *g)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char bytes[SG_SECRET_BYTES];
    char *text = apr_palloc(p, 2 * sizeof(bytes) + 1);
    apr_status_t rv = apr_generate_random_bytes(bytes, sizeof(bytes));
    apr_size_t i;

    if (rv != APR_SUCCESS) {
        return rv;
    }
    for (i = 0; i < sizeof(bytes); i++) {
        text[2 * i] = hex[bytes[i] >> 4];
        text[2 * i + 1] = hex[bytes[i] & 15];
    }
    text[2 * sizeof(bytes)] = '\0';
    memset(bytes, 0, sizeof(bytes));
    g->secret = text;
    return APR_SUCCESS;
}

void sg_daemon_child_init(apr_array_header_t *groups)
{
    sg_group *g = (sg_group *)groups->elts;
    int i, j;

    sg_control_forget();
    for (i = 0; i < groups->nelts; i++) {
        if (g[i].listen_fd >= 0) {
            close(g[i].listen_fd);
            g[i].listen_fd = -1;
        }
        for (j = 0; g[i].daemons && j < sg_group_slots(&g[i]); j++) {
            if (g[i].daemons[j].output.fd >= 0) {
                close(g[i].daemons[j].output.fd);
                g[i].daemons[j].output.fd = -1;
            }
        }
    }
    sg_handover_close_outputs();
}

void sg_daemon_monitor(void)
{
    sg_group *g;
    int i, j;

    if (!cycle.groups || getpid() != cycle.parent_pid) {
        return;
    }
    g = (sg_group *)cycle.groups->elts;
    for (i = 0; i < cycle.groups->nelts; i++) {
        for (j = 0; g[i].daemons && j < sg_group_slots(&g[i]); j++) {
            pid_t pid = g[i].daemons[j].proc.pid;
            siginfo_t info;

            /* One that has ended but is not reaped yet is left to
             * daemon_event, which logs its last words under its
             * incident id. */
            memset(&info, 0, sizeof(info));
            if (pid > 0
                && waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT)
                       == 0
                && info.si_pid == pid) {
                continue;
            }
            sg_crash_read_output(cycle.main_server, g[i].name, pid,
                                 &g[i].daemons[j].output, 0, NULL);
        }
    }
    sg_handover_monitor();
}

/* Stop: every daemon, this generation's and draining ones, gets SIGTERM and
 * the longest shutdown-timeout to exit, then SIGKILL. The parent's copy of
 * each listening socket closes first: once the daemons stop accepting, a
 * new connection is refused at once rather than left waiting. */
static void stop_all(void)
{
    apr_array_header_t *groups = cycle.groups;
    sg_group *g = (sg_group *)groups->elts;
    apr_interval_time_t wait = 0;
    apr_time_t deadline;
    int i, j, left;

    sg_pool_ticker_stop();
    sg_control_close();
    for (i = 0; i < groups->nelts; i++) {
        if (g[i].listen_fd >= 0) {
            close(g[i].listen_fd);
            g[i].listen_fd = -1;
        }
        wait = g[i].shutdown_timeout > wait ? g[i].shutdown_timeout : wait;
        for (j = 0; j < sg_group_slots(&g[i]); j++) {
            if (g[i].daemons[j].proc.pid > 0) {
                kill(g[i].daemons[j].proc.pid, SIGTERM);
            }
        }
    }
    sg_handover_signal_draining();
    deadline = apr_time_now() + wait + apr_time_from_sec(1);
    do {
        left = 0;
        for (i = 0; i < groups->nelts; i++) {
            for (j = 0; j < sg_group_slots(&g[i]); j++) {
                pid_t pid = g[i].daemons[j].proc.pid;
                if (pid > 0 && waitpid(pid, NULL, WNOHANG) == 0) {
                    left++;
                }
                else {
                    g[i].daemons[j].proc.pid = 0;
                }
            }
        }
        left += sg_handover_reap_draining(0);
        if (left) {
            apr_sleep(apr_time_from_msec(50));
        }
    } while (left && apr_time_now() < deadline);
    for (i = 0; i < groups->nelts; i++) {
        for (j = 0; j < sg_group_slots(&g[i]); j++) {
            if (g[i].daemons[j].proc.pid > 0) {
                sg_log_s(APLOG_WARNING, 0, cycle.main_server, SG_LOGNO(00408),
                         "daemon group '%s': process %" APR_PID_T_FMT
                         " did not stop within shutdown-timeout; killed",
                         g[i].name, g[i].daemons[j].proc.pid);
                kill(g[i].daemons[j].proc.pid, SIGKILL);
                waitpid(g[i].daemons[j].proc.pid, NULL, 0);
            }
        }
        if (!g[i].listen_address) {
            unlink(g[i].socket_path);
        }
    }
    sg_handover_reap_draining(1);
}

/* The end of a configuration cycle: a graceful restart hands each group
 * over to the next one (or lets its daemons drain); a stop stops them. */
static apr_status_t end_generation(void *data)
{
    apr_array_header_t *groups = cycle.groups;
    sg_group *g = (sg_group *)groups->elts;
    int i, j;

    if (getpid() != cycle.parent_pid) {
        return APR_SUCCESS;
    }
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_DESTROY_CONFIG) {
        stop_all();
        return APR_SUCCESS;
    }
    sg_pool_ticker_stop();
    sg_control_close();
    for (i = 0; i < groups->nelts; i++) {
        if (sg_handover_give(&g[i])) {
            continue;
        }
        for (j = 0; j < sg_group_slots(&g[i]); j++) {
            pid_t pid = g[i].daemons[j].proc.pid;
            if (pid > 0) {
                kill(pid, SIGUSR1);
                sg_handover_drain(pid, g[i].socket_path, g[i].name,
                                  &g[i].daemons[j].output);
            }
            if (g[i].daemons[j].output.fd >= 0) {
                close(g[i].daemons[j].output.fd);
                g[i].daemons[j].output.fd = -1;
            }
        }
        if (g[i].listen_fd >= 0) {
            close(g[i].listen_fd);
            g[i].listen_fd = -1;
        }
    }
    return APR_SUCCESS;
}

/* The groups' serving flags, in anonymous shared memory made before the
 * MPM forks: the children read them, the daemons set them. */
static apr_status_t make_serving_flags(apr_pool_t *pconf,
                                       apr_array_header_t *groups)
{
    sg_group *g = (sg_group *)groups->elts;
    volatile apr_uint32_t *flags;
    apr_size_t total = 0;
    apr_shm_t *shm;
    apr_status_t rv;
    int i;

    for (i = 0; i < groups->nelts; i++) {
        total += sg_group_slots(&g[i]);
    }
    rv = apr_shm_create(&shm, total * sizeof(apr_uint32_t), NULL, pconf);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    flags = apr_shm_baseaddr_get(shm);
    memset((void *)flags, 0, total * sizeof(apr_uint32_t));
    for (i = 0; i < groups->nelts; i++) {
        g[i].serving = flags;
        flags += sg_group_slots(&g[i]);
    }
    return APR_SUCCESS;
}

/* A group's socket and secret: handed over by the previous configuration,
 * given by the host (swiftgate serve), or made now. */
static int open_group(apr_pool_t *pconf, server_rec *s, sg_group *g, int i,
                      const char *prefix, unsigned generation,
                      sg_handover **handed)
{
    apr_status_t rv;

    if ((*handed = sg_handover_find(g))) {
        sg_handover_apply(pconf, g, *handed);
        return OK;
    }
    if (g->listen_address) {
        /* Its socket and secret are the host's; the stop leaves the
         * address alone. */
        g->socket_path = g->listen_address;
        sg_scoreboard_group_socket(i, g->listen_fd);
        return OK;
    }
    if ((rv = make_secret(pconf, g)) != APR_SUCCESS) {
        sg_log_s(APLOG_CRIT, rv, s, SG_LOGNO(00414),
                 "daemon group '%s': cannot make its secret", g->name);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    g->socket_path = apr_psprintf(pconf, "%s.%" APR_PID_T_FMT ".%u.%d.sock",
                                  prefix, getpid(), generation, i);
    if ((rv = make_socket(pconf, g)) != APR_SUCCESS) {
        sg_log_s(APLOG_CRIT, rv, s, SG_LOGNO(00409),
                 "daemon group '%s': cannot listen on %s", g->name,
                 g->socket_path);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    sg_scoreboard_group_socket(i, g->listen_fd);
    return OK;
}

int sg_daemon_start_all(apr_pool_t *pconf, server_rec *s,
                        apr_array_header_t *groups,
                        const sg_daemon_settings *settings)
{
    sg_group *g = (sg_group *)groups->elts;
    sg_handover **handed;
    const char *prefix, *control;
    unsigned generation;
    apr_status_t rv;
    int i, j, adopted, status;

    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK; /* the trial pass before Apache detaches */
    }
    cycle.parent_pid = getpid();
    cycle.pool = pconf;
    cycle.main_server = s;
    cycle.groups = groups;
    cycle.library = daemon_library(pconf, settings);
    cycle.libraries = settings->libraries;
    cycle.fixed = settings->fixed;
    generation = sg_handover_begin(s->process->pool, pconf);
    if (!groups->nelts) {
        sg_handover_drain_unclaimed();
        return OK;
    }
    prefix = socket_prefix(pconf, settings);
    handed = apr_pcalloc(pconf, sizeof(*handed) * groups->nelts);
    for (i = 0; i < groups->nelts; i++) {
        status = open_group(pconf, s, &g[i], i, prefix, generation, &handed[i]);
        if (status != OK) {
            return status;
        }
    }
    if ((rv = make_serving_flags(pconf, groups)) != APR_SUCCESS) {
        sg_log_s(APLOG_CRIT, rv, s, SG_LOGNO(00411),
                 "cannot make shared memory for the daemon groups");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_cleanup_register(pconf, NULL, end_generation,
                              apr_pool_cleanup_null);
    control = settings->control_path
                  ? settings->control_path
                  : apr_pstrcat(pconf, prefix, ".control", NULL);
    if (*control && (rv = sg_control_open(pconf, control)) != APR_SUCCESS) {
        sg_log_s(APLOG_ERR, rv, s, SG_LOGNO(00432),
                 "cannot make the control socket %s: swiftgate restart and "
                 "scale will not reach this server",
                 control);
    }
    for (i = 0; i < groups->nelts; i++) {
        g[i].daemons =
            apr_pcalloc(pconf, sizeof(sg_daemon) * sg_group_slots(&g[i]));
        sg_pool_init(pconf, &g[i]);
        for (j = 0; j < sg_group_slots(&g[i]); j++) {
            g[i].daemons[j].output.fd = -1;
            g[i].daemons[j].group = &g[i];
            g[i].daemons[j].slot = j;
        }
        adopted = handed[i] ? sg_handover_take(pconf, &g[i], handed[i]) : 0;
        if (adopted) {
            sg_pool_adopted(&g[i], adopted);
        }
        for (j = 0; !adopted && j < g[i].min_processes; j++) {
            sg_daemon_spawn(&g[i].daemons[j], 0);
        }
        sg_log_s(APLOG_INFO, 0, s, SG_LOGNO(00410),
                 "daemon group '%s': %d process(es)%s of %d thread(s) as "
                 "user %s on %s",
                 g[i].name, g[i].min_processes,
                 g[i].max_processes
                     ? apr_psprintf(pconf, " (up to %d)", g[i].max_processes)
                     : "",
                 g[i].threads, g[i].user_name, g[i].socket_path);
    }
    sg_handover_drain_unclaimed();
    sg_pool_ticker_start();
    return OK;
}
