/*
 * sg_daemon_process.c -- a daemon process, forked by the Apache parent:
 * its signals and display name, its environment, dropping privileges, and
 * only then libSwiftGateDaemon.so, which serves FastCGI on the group's
 * socket and loads the application libraries. Its log lines go to Apache's
 * log, each naming the group.
 */
#include "sg_daemon_private.h"
#include "sg_log.h"
#include "sg_scoreboard.h"

#include "ap_listen.h"
#include "apr_atomic.h"
#include "apr_strings.h"

#include "swiftgate.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

static int control_write_fd = -1;

static void on_stop(int sig)
{
    char c = SWIFTGATE_DAEMON_STOP;

    if (write(control_write_fd, &c, 1) < 0) {
        /* Nothing to do in a signal handler. */
    }
}

static void on_drain(int sig)
{
    char c = SWIFTGATE_DAEMON_DRAIN;

    if (write(control_write_fd, &c, 1) < 0) {
        /* Nothing to do in a signal handler. */
    }
}

static void on_recycle(int sig)
{
    char c = SWIFTGATE_DAEMON_RECYCLE;

    if (write(control_write_fd, &c, 1) < 0) {
        /* Nothing to do in a signal handler. */
    }
}

static void set_signals(void)
{
    static const int stop[] = {SIGTERM, SIGINT, SIGHUP, 0};
    /* The fatal signals too: httpd's core-dump handlers would otherwise
     * stay, and the Swift runtime installs its crash handler (the
     * backtracer) only where no handler is set. SIGUSR2 is on_recycle's. */
    static const int dflt[] = {SIGWINCH, SIGCHLD, SIGALRM, SIGILL,  SIGTRAP,
                               SIGABRT,  SIGFPE,  SIGBUS,  SIGSEGV, 0};
    struct sigaction sa;
    sigset_t none;
    int i;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sa.sa_handler = on_stop;
    for (i = 0; stop[i]; i++) {
        sigaction(stop[i], &sa, NULL);
    }
    sa.sa_handler = on_drain;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = on_recycle;
    sigaction(SIGUSR2, &sa, NULL);
    sa.sa_handler = SIG_DFL;
    for (i = 0; dflt[i]; i++) {
        sigaction(dflt[i], &sa, NULL);
    }
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Shows name in ps: over the original argument area (argv[0] points at its
 * start; its size is what /proc/self/cmdline holds, since httpd rebuilds
 * the rest of its argv elsewhere), and as the thread name. */
static void set_display_name(process_rec *process, const char *name)
{
    char *start = (char *)process->argv[0];
    char buf[4096];
    apr_size_t size = 0, len;
    ssize_t n;
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

    if (fd >= 0) {
        while ((n = read(fd, buf, sizeof(buf))) > 0) {
            size += (apr_size_t)n;
        }
        close(fd);
    }
    if (size < strlen(start) + 1) {
        size = strlen(start) + 1;
    }
    len = strlen(name) < size - 1 ? strlen(name) : size - 1;
    memcpy(start, name, len);
    memset(start + len, 0, size - len);
    prctl(PR_SET_NAME, name, 0, 0, 0);
}

/* The host log of a daemon process: every line, the daemon's and the
 * applications', names the group (Apache adds the pid). */
static sg_group *daemon_group;

static void daemon_log(void *ctx, int32_t level, const char *msg, uint64_t len)
{
    static const char own[] = "daemon group '";

    if (level < APLOG_EMERG || level > APLOG_DEBUG) {
        level = APLOG_ERR;
    }
    if (len >= sizeof(own) - 1 && !memcmp(msg, own, sizeof(own) - 1)) {
        sg_log_s(level, 0, (server_rec *)ctx, "", "%.*s", (int)len, msg);
        return;
    }
    sg_log_s(level, 0, (server_rec *)ctx, "", "daemon group '%s': %.*s",
             daemon_group->name, (int)len, msg);
}

static apr_uint64_t ms(apr_interval_time_t t)
{
    return (apr_uint64_t)apr_time_as_msec(t);
}

/* A daemon's report that it accepts requests (or no longer does). */
static void daemon_serving(void *ctx, int32_t serving)
{
    sg_daemon *d = ctx;

    apr_atomic_set32(&d->group->serving[d->slot], serving ? 1 : 0);
}

void sg_daemon_process_main(const sg_daemon_cycle *c, sg_daemon *d,
                            apr_interval_time_t delay)
{
    sg_group *g = d->group;
    server_rec *s = c->main_server;
    sg_group *all = (sg_group *)c->groups->elts;
    swiftgate_daemon_config config;
    swiftgate_host host;
    swiftgate_daemon_main_fn serve;
    struct pollfd pfd;
    void *handle;
    int control[2], i;

    set_signals();
    if (pipe(control) != 0) {
        _exit(SWIFTGATE_DAEMON_EXIT_FAILED);
    }
    control_write_fd = control[1];
    fcntl(control[0], F_SETFD, FD_CLOEXEC);
    fcntl(control[1], F_SETFD, FD_CLOEXEC);

    /* Apache's listeners and the other groups' sockets and secrets are not
     * ours: an application here must not reach another group's daemons. */
    ap_close_listeners();
    sg_control_forget();
    for (i = 0; i < c->groups->nelts; i++) {
        if (&all[i] == g) {
            continue;
        }
        if (all[i].listen_fd >= 0) {
            close(all[i].listen_fd);
        }
        if (all[i].secret) {
            memset((char *)all[i].secret, 0, strlen(all[i].secret));
        }
    }

    unsetenv("SWIFTGATE_SETTINGS");
    if (g->settings) {
        setenv("SWIFTGATE_SETTINGS", g->settings, 1);
    }
    for (i = 0; i < g->env->nelts; i++) {
        const char *kv = ((const char **)g->env->elts)[i];
        const char *eq = strchr(kv, '=');

        setenv(apr_pstrmemdup(c->pool, kv, eq - kv), eq + 1, 1);
    }
    setenv("HOME", g->home, 1);
    setenv("USER", g->user_name, 1);
    setenv("LOGNAME", g->user_name, 1);

    /* Privileges go before any application code loads; any failure ends
     * the process rather than let it go on as Apache's user. */
    if (geteuid() == 0) {
        if (setgid(g->gid) != 0 || initgroups(g->user_name, g->gid) != 0
            || setuid(g->uid) != 0 || getuid() != g->uid || geteuid() != g->uid
            || getegid() != g->gid) {
            sg_log_s(APLOG_ALERT, errno, s, SG_LOGNO(00403),
                     "daemon group '%s': cannot switch to user %s (uid %ld, "
                     "gid %ld); this process ends",
                     g->name, g->user_name, (long)g->uid, (long)g->gid);
            _exit(SWIFTGATE_DAEMON_EXIT_FAILED);
        }
    }
    prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
    /* The Swift backtracer runs on a crash only when the group (or
     * Apache's environment) asks for it with SWIFT_BACKTRACE: unasked, a
     * crash logs the runtime's message alone, as before. */
    setenv("SWIFT_BACKTRACE", "enable=no", 0);
    /* Changing user made the process non-dumpable, which keeps the Swift
     * backtracer from reading its memory map and symbols after a crash
     * (it prints bare addresses). A group that asks for backtraces
     * (env=SWIFT_BACKTRACE=...) is made dumpable again: other processes
     * of its user may then trace it, so give such a group a user of its
     * own. */
    if (strncmp(getenv("SWIFT_BACKTRACE"), "enable=no", 9) != 0) {
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    }
    if (getppid() != c->parent_pid) {
        _exit(SWIFTGATE_DAEMON_EXIT_OK);
    }
    if (g->umask >= 0) {
        umask((mode_t)g->umask);
    }
    if (chdir(g->home) != 0) {
        sg_log_s(APLOG_WARNING, errno, s, SG_LOGNO(00404),
                 "daemon group '%s': cannot enter home directory %s", g->name,
                 g->home);
        if (chdir("/") != 0) {
            _exit(SWIFTGATE_DAEMON_EXIT_FAILED);
        }
    }
    set_display_name(s->process, g->display_name);

    if (delay > 0) {
        /* Back-off after failures; a stop request ends the wait. */
        pfd.fd = control[0];
        pfd.events = POLLIN;
        if (poll(&pfd, 1, (int)apr_time_as_msec(delay)) > 0) {
            _exit(SWIFTGATE_DAEMON_EXIT_OK);
        }
    }

    /* The scoreboard but this process's slot goes before any Swift code
     * loads. */
    memset(&host, 0, sizeof(host));
    memset(&config, 0, sizeof(config));
    sg_scoreboard_daemon_attach((int)(g - all), d->slot, &config, &host);

    handle = dlopen(c->library, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    serve = handle ? (swiftgate_daemon_main_fn)dlsym(handle,
                                                     SWIFTGATE_SYM_DAEMON_MAIN)
                   : NULL;
    if (!serve) {
        sg_log_s(APLOG_CRIT, 0, s, SG_LOGNO(00405),
                 "daemon group '%s': cannot load %s: %s", g->name, c->library,
                 dlerror());
        _exit(SWIFTGATE_DAEMON_EXIT_FAILED);
    }

    daemon_group = g;
    host.abi_version = SWIFTGATE_ABI_VERSION;
    host.struct_size = sizeof(host);
    host.ctx = s;
    host.log = daemon_log;
    host.log_level = ap_get_server_module_loglevel(s, APLOG_MODULE_INDEX);

    config.struct_size = sizeof(config);
    config.listen_fd = g->listen_fd;
    config.control_fd = control[0];
    config.threads = (uint32_t)g->threads;
    config.maximum_requests = (uint64_t)g->maximum_requests;
    config.restart_interval_ms = ms(g->restart_interval);
    config.inactivity_timeout_ms = ms(g->inactivity_timeout);
    config.request_timeout_ms = ms(g->request_timeout);
    config.queue_timeout_ms = ms(g->queue_timeout);
    config.socket_timeout_ms =
        ms(g->socket_timeout ? g->socket_timeout : s->timeout);
    config.startup_timeout_ms = ms(g->startup_timeout);
    config.graceful_timeout_ms = ms(g->graceful_timeout);
    config.shutdown_timeout_ms = ms(g->shutdown_timeout);
    config.process_group = g->name;
    config.libraries = c->libraries;
    config.preload = g->preload;
    /* The parent watches the libraries and replaces the processes one at a
     * time (sg_daemon_pool.c): a process does not recycle on its own. */
    config.check_libraries = 0;
    config.host = &host;
    config.serving = daemon_serving;
    config.serving_ctx = d;
    config.secret = g->secret;
    config.secret_len = strlen(g->secret);
    config.interrupt_timeout_ms = ms(g->interrupt_timeout);
    config.memory_limit_bytes = (uint64_t)g->memory_limit << 20;
    config.health_check = g->health_check;
    config.health_path = g->health_path;
    if (c->fixed) {
        config.fixed_library = c->fixed->library;
        config.default_callable = c->fixed->callable;
        config.default_application_group = c->fixed->application_group;
    }
    _exit(serve(&config));
}
