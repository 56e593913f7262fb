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
/* Daemons of earlier configurations still finishing their requests; past
 * this many, the oldest are no longer tracked (they still exit on their
 * own when their graceful-timeout ends). */
#define SG_MAX_DRAINING 256
/* Random bytes in a group's secret: 256 bits cannot be guessed through a
 * socket. */
#define SG_SECRET_BYTES 32

/* What must outlive a configuration cycle, and the module itself (httpd
 * unloads and reloads modules on restart): plain data in the process pool.
 * Daemons of an old generation keep serving the old Apache children until
 * they are idle; the socket goes when the last of them has exited. */
typedef struct sg_draining {
    pid_t pid;
    unsigned generation;
    /* Its standard error, still read while it drains. */
    sg_crash_output output;
    char group[64];
    char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
} sg_draining;

/* Groups a graceful restart hands to the next configuration, each with the
 * processes it had running; past these, groups drain as before. */
#define SG_MAX_HANDOVER      64
#define SG_MAX_HANDOVER_PIDS 64

/* A group's socket, secret and running processes, kept open across a
 * graceful restart: the next configuration's group of the same name takes
 * them over and replaces the processes by a rolling restart, so that a
 * replacement that fails leaves the old ones serving the new Apache
 * children too. */
typedef struct sg_handover {
    char name[128]; /* "" when the entry is free */
    int listen_fd;
    uid_t owner; /* Apache's User, who owns the socket */
    dev_t dev;   /* the socket file as bound */
    ino_t ino;
    char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char secret[2 * SG_SECRET_BYTES + 1];
    int npids;
    pid_t pids[SG_MAX_HANDOVER_PIDS];
    int outputs[SG_MAX_HANDOVER_PIDS]; /* their output pipes, -1 none */
} sg_handover;

typedef struct sg_persist {
    unsigned generation;
    sg_draining draining[SG_MAX_DRAINING];
    sg_handover handover[SG_MAX_HANDOVER];
} sg_persist;

static sg_persist *persist;
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

static void daemon_event(int reason, void *data, int status)
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

/* Closes the output pipes of the daemons of earlier generations that
 * drain, in a process that is not the parent. */
static void close_draining_outputs(void)
{
    int i;

    for (i = 0; persist && i < SG_MAX_DRAINING; i++) {
        if (persist->draining[i].output.fd >= 0
            && persist->draining[i].pid > 0) {
            close(persist->draining[i].output.fd);
        }
    }
}

/* In a forked daemon: the other daemons' output pipes are not its own. */
static void close_other_outputs(const sg_daemon *self)
{
    sg_group *g = (sg_group *)cycle.groups->elts;
    int i, j;

    close_draining_outputs();
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
    apr_proc_other_child_register(&d->proc, daemon_event, d, NULL, cycle.pool);
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
    close_draining_outputs();
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
    for (i = 0; persist && i < SG_MAX_DRAINING; i++) {
        if (persist->draining[i].pid > 0) {
            sg_crash_read_output(cycle.main_server, persist->draining[i].group,
                                 persist->draining[i].pid,
                                 &persist->draining[i].output, 0, NULL);
        }
    }
}

static int generation_alive(unsigned generation, const char *path)
{
    int i;

    for (i = 0; i < SG_MAX_DRAINING; i++) {
        sg_draining *e = &persist->draining[i];
        if (e->pid > 0 && e->generation == generation
            && !strcmp(e->socket_path, path)) {
            return 1;
        }
    }
    return 0;
}

/* A draining daemon of an earlier generation ended. */
static void drained_event(int reason, void *data, int status)
{
    sg_draining *e = data;

    if (reason != APR_OC_REASON_DEATH && reason != APR_OC_REASON_LOST) {
        return;
    }
    apr_proc_other_child_unregister(data);
    sg_crash_read_output(cycle.main_server, e->group, e->pid, &e->output, 1,
                         NULL);
    e->pid = 0;
    if (!generation_alive(e->generation, e->socket_path)) {
        unlink(e->socket_path);
    }
}

/* Takes over the draining daemons of earlier generations, so that they are
 * reaped by this generation's code. */
static void adopt_draining(apr_pool_t *pconf)
{
    int i;

    for (i = 0; i < SG_MAX_DRAINING; i++) {
        sg_draining *e = &persist->draining[i];
        apr_proc_t *proc;

        if (e->pid <= 0) {
            continue;
        }
        if (kill(e->pid, 0) != 0 && errno == ESRCH) {
            sg_crash_read_output(cycle.main_server, e->group, e->pid,
                                 &e->output, 1, NULL);
            e->pid = 0;
            if (!generation_alive(e->generation, e->socket_path)) {
                unlink(e->socket_path);
            }
            continue;
        }
        proc = apr_pcalloc(pconf, sizeof(*proc));
        proc->pid = e->pid;
        apr_proc_other_child_register(proc, drained_event, e, NULL, pconf);
    }
}

static void remember_draining(pid_t pid, const char *path, const char *group,
                              sg_crash_output *output)
{
    int i;

    for (i = 0; i < SG_MAX_DRAINING; i++) {
        sg_draining *e = &persist->draining[i];
        if (e->pid <= 0) {
            e->pid = pid;
            e->generation = persist->generation;
            apr_cpystrn(e->socket_path, path, sizeof(e->socket_path));
            apr_cpystrn(e->group, group, sizeof(e->group));
            /* Its output pipe moves here with it. */
            e->output = *output;
            output->fd = -1;
            return;
        }
    }
}

/* remember_draining for a handed-over process, whose output pipe is kept
 * as a bare descriptor: it moves into the record too. */
static void remember_handed_over(pid_t pid, const char *path, const char *group,
                                 int *fd)
{
    sg_crash_output output;

    memset(&output, 0, sizeof(output));
    output.fd = *fd;
    remember_draining(pid, path, group, &output);
    *fd = output.fd;
}

/* Stop: every daemon, this generation's and draining ones, gets SIGTERM and
 * the longest shutdown-timeout to exit, then SIGKILL. */
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
        wait = g[i].shutdown_timeout > wait ? g[i].shutdown_timeout : wait;
        for (j = 0; j < sg_group_slots(&g[i]); j++) {
            if (g[i].daemons[j].proc.pid > 0) {
                kill(g[i].daemons[j].proc.pid, SIGTERM);
            }
        }
    }
    for (i = 0; i < SG_MAX_DRAINING; i++) {
        if (persist->draining[i].pid > 0) {
            kill(persist->draining[i].pid, SIGTERM);
        }
    }
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
        for (i = 0; i < SG_MAX_DRAINING; i++) {
            pid_t pid = persist->draining[i].pid;
            if (pid > 0 && waitpid(pid, NULL, WNOHANG) == 0) {
                left++;
            }
            else if (pid > 0) {
                sg_crash_read_output(cycle.main_server,
                                     persist->draining[i].group, pid,
                                     &persist->draining[i].output, 1, NULL);
                unlink(persist->draining[i].socket_path);
                persist->draining[i].pid = 0;
            }
        }
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
        unlink(g[i].socket_path);
    }
    for (i = 0; i < SG_MAX_DRAINING; i++) {
        if (persist->draining[i].pid > 0) {
            kill(persist->draining[i].pid, SIGKILL);
            waitpid(persist->draining[i].pid, NULL, 0);
            sg_crash_read_output(cycle.main_server, persist->draining[i].group,
                                 persist->draining[i].pid,
                                 &persist->draining[i].output, 1, NULL);
            unlink(persist->draining[i].socket_path);
            persist->draining[i].pid = 0;
        }
    }
}

/* ---- graceful restarts: handing groups over ---- */

/* On a graceful restart, keeps a group's socket open and its processes
 * running for the next configuration (sg_handover). Processes already
 * retiring still finish and exit; their socket is not removed after them.
 * @return 1 when handed over, 0 when the group drains as before */
static int hand_over(sg_group *g)
{
    sg_handover *h = NULL;
    int i, j;

    if (g->listen_fd < 0 || strlen(g->name) >= sizeof(h->name)
        || sg_group_slots(g) > SG_MAX_HANDOVER_PIDS) {
        return 0;
    }
    for (i = 0; i < SG_MAX_HANDOVER && !h; i++) {
        h = persist->handover[i].name[0] ? NULL : &persist->handover[i];
    }
    if (!h) {
        return 0;
    }
    apr_cpystrn(h->name, g->name, sizeof(h->name));
    apr_cpystrn(h->socket_path, g->socket_path, sizeof(h->socket_path));
    apr_cpystrn(h->secret, g->secret, sizeof(h->secret));
    h->listen_fd = g->listen_fd;
    h->owner = ap_unixd_config.user_id;
    h->dev = g->socket_dev;
    h->ino = g->socket_ino;
    h->npids = 0;
    for (j = 0; j < sg_group_slots(g); j++) {
        sg_daemon *d = &g->daemons[j];
        if (d->proc.pid <= 0) {
            continue;
        }
        if (d->role == SG_ROLE_RETIRING) {
            remember_draining(d->proc.pid, "", g->name, &d->output);
            if (d->output.fd >= 0) {
                close(d->output.fd);
            }
        }
        else {
            h->outputs[h->npids] = d->output.fd;
            h->pids[h->npids++] = d->proc.pid;
        }
        d->output.fd = -1;
    }
    g->listen_fd = -1;
    return 1;
}

/* The entry a group of the new configuration takes over, or NULL: same
 * name, same socket owner, and its socket file still the one bound. */
static sg_handover *find_handover(sg_group *g)
{
    struct stat st;
    int i;

    for (i = 0; i < SG_MAX_HANDOVER; i++) {
        sg_handover *h = &persist->handover[i];
        if (h->name[0] && !strcmp(h->name, g->name)
            && h->owner == ap_unixd_config.user_id
            && lstat(h->socket_path, &st) == 0 && S_ISSOCK(st.st_mode)
            && st.st_dev == h->dev && st.st_ino == h->ino) {
            return h;
        }
    }
    return NULL;
}

/* Takes a handed-over group's processes into its slots; those beyond its
 * processes are recycled. @return how many it took */
static int adopt_processes(apr_pool_t *pconf, sg_group *g, sg_handover *h)
{
    int i, taken = 0;

    for (i = 0; i < h->npids; i++) {
        sg_daemon *d = &g->daemons[taken];
        if ((kill(h->pids[i], 0) != 0 && errno == ESRCH)
            || taken >= g->processes) {
            if (taken >= g->processes) {
                kill(h->pids[i], SIGUSR2);
                remember_handed_over(h->pids[i], "", h->name, &h->outputs[i]);
            }
            if (h->outputs[i] >= 0) {
                close(h->outputs[i]);
            }
            continue;
        }
        d->proc.pid = h->pids[i];
        d->output.fd = h->outputs[i]; /* its output is still read */
        d->started = apr_time_now();
        d->busy_seen = d->started;
        /* It accepts on this very socket: the children may send to it. */
        apr_atomic_set32(&g->serving[d->slot], 1);
        apr_proc_other_child_register(&d->proc, daemon_event, d, NULL, pconf);
        taken++;
    }
    h->name[0] = '\0';
    return taken;
}

/* Entries no group of the new configuration took: their processes drain
 * as they did before handovers existed. */
static void drain_unclaimed(void)
{
    int i, j;

    for (i = 0; i < SG_MAX_HANDOVER; i++) {
        sg_handover *h = &persist->handover[i];
        if (!h->name[0]) {
            continue;
        }
        for (j = 0; j < h->npids; j++) {
            kill(h->pids[j], SIGUSR1);
            remember_handed_over(h->pids[j], h->socket_path, h->name,
                                 &h->outputs[j]);
            if (h->outputs[j] >= 0) {
                close(h->outputs[j]);
            }
        }
        close(h->listen_fd);
        h->name[0] = '\0';
    }
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
        if (hand_over(&g[i])) {
            continue;
        }
        for (j = 0; j < sg_group_slots(&g[i]); j++) {
            pid_t pid = g[i].daemons[j].proc.pid;
            if (pid > 0) {
                kill(pid, SIGUSR1);
                remember_draining(pid, g[i].socket_path, g[i].name,
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

int sg_daemon_start_all(apr_pool_t *pconf, server_rec *s,
                        apr_array_header_t *groups,
                        const sg_daemon_settings *settings)
{
    sg_group *g = (sg_group *)groups->elts;
    void *data = NULL;
    sg_handover **handed;
    const char *prefix, *control;
    apr_status_t rv;
    int i, j, adopted;

    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK; /* the trial pass before Apache detaches */
    }
    apr_pool_userdata_get(&data, "swiftgate-daemons", s->process->pool);
    if (!data) {
        data = apr_pcalloc(s->process->pool, sizeof(sg_persist));
        apr_pool_userdata_set(data, "swiftgate-daemons", apr_pool_cleanup_null,
                              s->process->pool);
    }
    persist = data;
    persist->generation++;
    cycle.parent_pid = getpid();
    cycle.pool = pconf;
    cycle.main_server = s;
    cycle.groups = groups;
    cycle.library = daemon_library(pconf, settings);
    cycle.libraries = settings->libraries;
    adopt_draining(pconf);
    if (!groups->nelts) {
        drain_unclaimed();
        return OK;
    }
    prefix = socket_prefix(pconf, settings);
    handed = apr_pcalloc(pconf, sizeof(*handed) * groups->nelts);
    for (i = 0; i < groups->nelts; i++) {
        if ((handed[i] = find_handover(&g[i]))) {
            g[i].listen_fd = handed[i]->listen_fd;
            g[i].socket_path = apr_pstrdup(pconf, handed[i]->socket_path);
            g[i].socket_dev = handed[i]->dev;
            g[i].socket_ino = handed[i]->ino;
            g[i].secret = apr_pstrdup(pconf, handed[i]->secret);
            continue;
        }
        if ((rv = make_secret(pconf, &g[i])) != APR_SUCCESS) {
            sg_log_s(APLOG_CRIT, rv, s, SG_LOGNO(00414),
                     "daemon group '%s': cannot make its secret", g[i].name);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        g[i].socket_path =
            apr_psprintf(pconf, "%s.%" APR_PID_T_FMT ".%u.%d.sock", prefix,
                         getpid(), persist->generation, i);
        if ((rv = make_socket(pconf, &g[i])) != APR_SUCCESS) {
            sg_log_s(APLOG_CRIT, rv, s, SG_LOGNO(00409),
                     "daemon group '%s': cannot listen on %s", g[i].name,
                     g[i].socket_path);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        sg_scoreboard_group_socket(i, g[i].listen_fd);
    }
    if ((rv = make_serving_flags(pconf, groups)) != APR_SUCCESS) {
        sg_log_s(APLOG_CRIT, rv, s, SG_LOGNO(00411),
                 "cannot make shared memory for the daemon groups");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_cleanup_register(pconf, NULL, end_generation,
                              apr_pool_cleanup_null);
    control = apr_pstrcat(pconf, prefix, ".control", NULL);
    if ((rv = sg_control_open(pconf, control)) != APR_SUCCESS) {
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
        }
        for (j = 0; j < sg_group_slots(&g[i]); j++) {
            g[i].daemons[j].group = &g[i];
            g[i].daemons[j].slot = j;
        }
        adopted = handed[i] ? adopt_processes(pconf, &g[i], handed[i]) : 0;
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
    drain_unclaimed();
    sg_pool_ticker_start();
    return OK;
}
