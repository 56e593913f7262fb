/*
 * sg_supervise.c -- swiftgate-supervise: a SwiftGateDaemonProcess group
 * without Apache, for `swiftgate serve --fastcgi ADDRESS --processes N`
 * on a backend host. It runs mod_swiftgate's own supervision (sg_daemon*.c
 * and the rest, compiled into this program as they are into the module):
 * the same forking, privilege drop, recycling, timeouts, crash reports,
 * rolling restarts, adaptive pool and control socket. Like Apache's parent
 * it never loads Swift; `swiftgate serve` opens the listening socket and
 * executes this program in its own process (so the pid a service manager
 * knows stays the same).
 *
 * SIGTERM or SIGINT: the processes stop accepting, finish their requests
 * (shutdown-timeout) and exit, then so does this one. SIGHUP: a rolling
 * restart. With NOTIFY_SOCKET set (systemd's Type=notify) it reports
 * READY=1 once every starting process serves, and STOPPING=1.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "unixd.h"

#include "apr_atomic.h"
#include "apr_strings.h"

#include "sg_daemon.h"
#include "sg_daemon_private.h"
#include "sg_group.h"
#include "sg_library.h"
#include "sg_log.h"
#include "sg_scoreboard.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* The longest secret read from --secret-fd. */
#define SG_MAX_SECRET 4096
/* How often the supervisor relays its daemons' output when nothing else
 * wakes it (Apache's monitor hook runs about as often). */
#define SG_MONITOR_INTERVAL_MS 1000
/* How often it looks, while starting, whether every process serves yet. */
#define SG_READY_POLL_MS 50

typedef struct sg_supervise_args {
    int listen_fd;
    int secret_fd;
    const char *address;
    const char *name;
    const char *library;
    const char *callable;
    const char *application_group;
    const char *daemon_library;
    const char *control;
    const char *user;
    const char *remove_socket;
    int log_level;
    int noptions;
    char **options;
} sg_supervise_args;

static void usage(void)
{
    fprintf(stderr,
            "usage: swiftgate-supervise --listen-fd N --address TEXT "
            "--library APP.so [--callable NAME]\n"
            "       [--application-group NAME] [--secret-fd N] "
            "[--daemon-library PATH]\n"
            "       [--control PATH] [--user NAME] [--name NAME] "
            "[--log-level LEVEL]\n"
            "       [--remove-socket PATH] [OPTION=VALUE ...]\n"
            "Runs a daemon group (OPTION=VALUE as SwiftGateDaemonProcess "
            "takes them) on an inherited\nlistening socket; swiftgate serve "
            "--fastcgi ADDRESS --processes N starts it.\n");
    exit(2);
}

static int level_named(const char *name)
{
    static const char *const names[] = {"emerg", "alert",  "crit", "error",
                                        "warn",  "notice", "info", "debug"};
    int i;

    for (i = 0; i < 8; i++) {
        if (!strcmp(name, names[i])) {
            return i;
        }
    }
    fprintf(stderr, "swiftgate-supervise: unknown log level '%s'\n", name);
    exit(2);
}

static int descriptor(const char *text)
{
    char *end;
    long fd = strtol(text, &end, 10);

    if (*text == '\0' || *end != '\0' || fd < 0 || fd > 65535) {
        fprintf(stderr, "swiftgate-supervise: '%s' is not a descriptor\n",
                text);
        exit(2);
    }
    return (int)fd;
}

static void parse_args(int argc, char **argv, sg_supervise_args *a)
{
    static const struct option longopts[] = {
        {"listen-fd", required_argument, NULL, 'l'},
        {"secret-fd", required_argument, NULL, 's'},
        {"address", required_argument, NULL, 'a'},
        {"name", required_argument, NULL, 'n'},
        {"library", required_argument, NULL, 'L'},
        {"callable", required_argument, NULL, 'c'},
        {"application-group", required_argument, NULL, 'g'},
        {"daemon-library", required_argument, NULL, 'd'},
        {"control", required_argument, NULL, 'C'},
        {"user", required_argument, NULL, 'u'},
        {"log-level", required_argument, NULL, 'v'},
        {"remove-socket", required_argument, NULL, 'r'},
        {NULL, 0, NULL, 0}};
    int c;

    memset(a, 0, sizeof(*a));
    a->listen_fd = a->secret_fd = -1;
    a->name = "serve";
    a->log_level = APLOG_INFO;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
            case 'l':
                a->listen_fd = descriptor(optarg);
                break;
            case 's':
                a->secret_fd = descriptor(optarg);
                break;
            case 'a':
                a->address = optarg;
                break;
            case 'n':
                a->name = optarg;
                break;
            case 'L':
                a->library = optarg;
                break;
            case 'c':
                a->callable = optarg;
                break;
            case 'g':
                a->application_group = optarg;
                break;
            case 'd':
                a->daemon_library = optarg;
                break;
            case 'C':
                a->control = optarg;
                break;
            case 'u':
                a->user = optarg;
                break;
            case 'v':
                a->log_level = level_named(optarg);
                break;
            case 'r':
                a->remove_socket = optarg;
                break;
            default:
                usage();
        }
    }
    if (a->listen_fd < 0 || !a->address || !a->library) {
        usage();
    }
    a->noptions = argc - optind;
    a->options = argv + optind;
}

/* Copies of the arguments: a daemon shows its name over the argument area
 * (set_display_name), and what the group keeps must not be in it. */
static void copy_args(apr_pool_t *p, sg_supervise_args *a)
{
    const char **fields[] = {
        &a->address,           &a->name,           &a->library, &a->callable,
        &a->application_group, &a->daemon_library, &a->control, &a->user,
        &a->remove_socket};
    char **options = apr_pcalloc(p, sizeof(char *) * (a->noptions + 1));
    apr_size_t i;

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        *fields[i] = *fields[i] ? apr_pstrdup(p, *fields[i]) : NULL;
    }
    for (i = 0; i < (apr_size_t)a->noptions; i++) {
        options[i] = apr_pstrdup(p, a->options[i]);
    }
    a->options = options;
}

/* The secret a front-end must send, from the pipe swiftgate serve wrote it
 * into: its first line ("" when none was given). */
static const char *read_secret(apr_pool_t *p, int fd)
{
    char buf[SG_MAX_SECRET + 1];
    size_t len = 0;
    ssize_t n;

    if (fd < 0) {
        return "";
    }
    while (len < SG_MAX_SECRET
           && (n = read(fd, buf + len, SG_MAX_SECRET - len)) != 0) {
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            break;
        }
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    return apr_pstrdup(p, buf);
}

/* systemd's readiness protocol: one datagram to NOTIFY_SOCKET (a path, or
 * an abstract name after '@'). Quietly nothing without it. */
static const char *notify_socket;

static void notify(const char *state)
{
    struct sockaddr_un sa;
    size_t len;
    int fd;

    if (!notify_socket || !*notify_socket) {
        return;
    }
    len = strlen(notify_socket);
    if (len >= sizeof(sa.sun_path)) {
        return;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, notify_socket, len);
    if (sa.sun_path[0] == '@') {
        sa.sun_path[0] = '\0';
    }
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return;
    }
    if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
               (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len))
        < 0) {
        /* A manager that went away has nothing to be told. */
    }
    close(fd);
}

/* The user the daemons run as, and the one the control socket belongs
 * to: --user when started as root, else whoever runs this. */
static const char *set_identity(const sg_supervise_args *a, sg_group *g)
{
    struct passwd *pw;

    if (geteuid() != 0) {
        ap_unixd_config.user_id = geteuid();
        ap_unixd_config.group_id = getegid();
        return a->user ? "--user needs swiftgate serve to start as root" : NULL;
    }
    if (!a->user) {
        return "started as root: name the user the processes run as with "
               "--user (they never run as root)";
    }
    if (!(pw = getpwnam(a->user))) {
        return "--user names no such user";
    }
    ap_unixd_config.user_name = a->user;
    ap_unixd_config.user_id = pw->pw_uid;
    ap_unixd_config.group_id = pw->pw_gid;
    g->user = a->user;
    return NULL;
}

/* Makes the group from the arguments, as a SwiftGateDaemonProcess line
 * would. */
static const char *make_group(apr_pool_t *p, apr_pool_t *ptemp,
                              const sg_supervise_args *a, sg_group **out)
{
    command_rec directive;
    cmd_parms cmd;
    const char **preload;
    const char *err;
    sg_group *g;

    memset(&directive, 0, sizeof(directive));
    memset(&cmd, 0, sizeof(cmd));
    directive.name = "swiftgate serve";
    cmd.cmd = &directive;
    cmd.pool = p;
    cmd.temp_pool = ptemp;
    sg_group_reset(p);
    g = sg_group_add(p, a->name);
    if ((err = sg_options_parse(&cmd, sg_group_options, g, a->noptions,
                                a->options))
        || (err = sg_group_check_options(p, g)) || (err = set_identity(a, g))) {
        return err;
    }
    g->config_file = "swiftgate serve";
    g->listen_fd = a->listen_fd;
    g->listen_address = a->address;
    g->secret = read_secret(p, a->secret_fd);
    preload = apr_pcalloc(p, 2 * sizeof(*preload));
    preload[0] =
        apr_pstrcat(p, a->library, "\n", a->callable ? a->callable : "", "\n",
                    a->application_group ? a->application_group : "", NULL);
    g->preload = preload;
    *out = g;
    return NULL;
}

/* How many of the group's processes accept requests. */
static int serving(const sg_group *g)
{
    int i, n = 0;

    for (i = 0; i < sg_group_slots(g); i++) {
        n += apr_atomic_read32(&g->serving[i]) ? 1 : 0;
    }
    return n;
}

/* Hands every ended child to the supervision (the daemons, the tick
 * helper), as Apache's MPM does with the children it did not start. */
static void reap(void)
{
    apr_proc_t proc;
    int status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        memset(&proc, 0, sizeof(proc));
        proc.pid = pid;
        apr_proc_other_child_alert(&proc, APR_OC_REASON_DEATH,
                                   WIFEXITED(status) ? WEXITSTATUS(status)
                                                     : WTERMSIG(status));
    }
}

/* Serves until SIGTERM or SIGINT. */
static void supervise(server_rec *s, sg_group *g, const sigset_t *signals)
{
    apr_time_t monitored = apr_time_now();
    struct timespec wait;
    const char *err;
    int ready = 0, sig;

    for (;;) {
        wait.tv_sec = 0;
        wait.tv_nsec =
            (ready ? SG_MONITOR_INTERVAL_MS : SG_READY_POLL_MS) * 1000000L;
        if (wait.tv_nsec >= 1000000000L) {
            wait.tv_sec = wait.tv_nsec / 1000000000L;
            wait.tv_nsec %= 1000000000L;
        }
        sig = sigtimedwait(signals, NULL, &wait);
        if (sig == SIGTERM || sig == SIGINT) {
            return;
        }
        if (sig == SIGHUP && (err = sg_pool_restart(g, "SIGHUP"))) {
            sg_log_s(APLOG_WARNING, 0, s, SG_LOGNO(00801),
                     "daemon group '%s': SIGHUP: no rolling restart: %s",
                     g->name, err);
        }
        reap();
        if (apr_time_now() - monitored
            >= apr_time_from_msec(SG_MONITOR_INTERVAL_MS)) {
            sg_daemon_monitor();
            monitored = apr_time_now();
        }
        if (!ready && serving(g) >= g->min_processes) {
            ready = 1;
            sg_log_s(APLOG_NOTICE, 0, s, SG_LOGNO(00802),
                     "daemon group '%s': %d process(es) serving on %s", g->name,
                     serving(g), g->listen_address);
            notify(apr_psprintf(s->process->pool,
                                "READY=1\nSTATUS=%d process(es) serving on %s",
                                serving(g), g->listen_address));
        }
    }
}

/* The UNIX socket file serve bound for this supervisor (--remove-socket):
 * its directory and the socket found there at the start. At a clean exit
 * the socket is removed only if that very socket is still in that very
 * directory, looked up through a descriptor of the directory: a path
 * swapped meanwhile (a directory component another user can write, say)
 * never makes this process remove something else. No descriptor is held
 * while the daemons, forked from here, run. */
typedef struct sg_socket_file {
    char *dir;
    char *name;
    dev_t dir_dev, dev;
    ino_t dir_ino, ino;
} sg_socket_file;

/* The directory of f, opened, if it is still the one noted. */
static int open_socket_dir(const sg_socket_file *f)
{
    struct stat st;
    int fd = open(f->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

    if (fd >= 0
        && (fstat(fd, &st) != 0 || st.st_dev != f->dir_dev
            || st.st_ino != f->dir_ino)) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static void note_socket_file(sg_socket_file *f, const char *path)
{
    struct stat st;
    char *slash;
    int fd;

    /* Own copies: the argument's pool is gone by the time they are used. */
    if (!path || !*path || !(f->dir = strdup(path))) {
        return;
    }
    slash = strrchr(f->dir, '/');
    f->name = strdup(slash ? slash + 1 : f->dir);
    if (slash) {
        slash[slash == f->dir ? 1 : 0] = '\0';
    }
    else {
        strcpy(f->dir, ".");
    }
    fd = f->name ? open(f->dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
    if (fd >= 0 && fstat(fd, &st) == 0) {
        f->dir_dev = st.st_dev;
        f->dir_ino = st.st_ino;
        if (fstatat(fd, f->name, &st, AT_SYMLINK_NOFOLLOW) == 0
            && S_ISSOCK(st.st_mode)) {
            f->dev = st.st_dev;
            f->ino = st.st_ino;
        }
    }
    if (fd >= 0) {
        close(fd);
    }
}

static void remove_socket_file(const sg_socket_file *f)
{
    struct stat st;
    int fd;

    if (!f->ino || (fd = open_socket_dir(f)) < 0) {
        return;
    }
    if (fstatat(fd, f->name, &st, AT_SYMLINK_NOFOLLOW) == 0
        && S_ISSOCK(st.st_mode) && st.st_dev == f->dev && st.st_ino == f->ino) {
        unlinkat(fd, f->name, 0);
    }
    close(fd);
}

static int run(int argc, char **argv, sg_socket_file *socket_file)
{
    sg_supervise_args args;
    sg_daemon_settings settings;
    sg_daemon_fixed fixed;
    process_rec process;
    server_rec server;
    apr_pool_t *pglobal, *pconf, *ptemp;
    apr_file_t *errlog;
    sigset_t signals;
    const char *err;
    sg_group *g = NULL;

    parse_args(argc, argv, &args);
    if (apr_app_initialize(&argc, (const char *const **)&argv, NULL)
            != APR_SUCCESS
        || apr_pool_create(&pglobal, NULL) != APR_SUCCESS
        || apr_pool_create(&pconf, pglobal) != APR_SUCCESS
        || apr_pool_create(&ptemp, pconf) != APR_SUCCESS
        || apr_file_open_stderr(&errlog, pglobal) != APR_SUCCESS) {
        fprintf(stderr, "swiftgate-supervise: cannot start APR\n");
        return 1;
    }
    copy_args(pglobal, &args);
    note_socket_file(socket_file, args.remove_socket);
    /* The daemons must not report to the service manager themselves. */
    notify_socket = getenv("NOTIFY_SOCKET");
    notify_socket = notify_socket ? strdup(notify_socket) : NULL;
    unsetenv("NOTIFY_SOCKET");

    memset(&process, 0, sizeof(process));
    process.pool = pglobal;
    process.pconf = pconf;
    process.argc = argc;
    process.argv = (const char *const *)argv;
    process.short_name = "swiftgate-supervise";
    memset(&server, 0, sizeof(server));
    server.process = &process;
    server.error_log = errlog;
    server.log.level = args.log_level;
    server.timeout = apr_time_from_sec(60);
    server.server_hostname = "swiftgate-supervise";

    if ((err = make_group(pconf, ptemp, &args, &g))) {
        /* The option table's and the group checks' words, as serve's. */
        const char *group_word = apr_pstrcat(ptemp, "SwiftGateDaemonProcess ",
                                             args.name, ": ", NULL);
        if (!strncmp(err, group_word, strlen(group_word))) {
            err += strlen(group_word);
        }
        else if (!strncmp(err, "swiftgate serve: ", 17)) {
            err += 17;
        }
        fprintf(stderr, "swiftgate serve: %s\n", err);
        return 2;
    }
    memset(&fixed, 0, sizeof(fixed));
    fixed.library = args.library;
    fixed.callable = args.callable;
    fixed.application_group = args.application_group;
    memset(&settings, 0, sizeof(settings));
    settings.library = args.daemon_library;
    settings.libraries = g->preload;
    settings.fixed = &fixed;
    /* The control socket's directory is checked as the groups' sockets'
     * directory is under Apache; without one nothing is made. */
    settings.control_path = args.control ? args.control : "";
    settings.socket_prefix = args.control ? args.control : "/swiftgate";

    /* Signals wait for sigtimedwait; the forked processes unblock them. */
    sigemptyset(&signals);
    sigaddset(&signals, SIGCHLD);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    sigprocmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (sg_daemon_check(pconf, &server, sg_group_all(), &settings) != OK) {
        return 2;
    }
    if (geteuid() == 0
        && (err =
                sg_library_check_access(pconf, args.library, g->uid, g->gid))) {
        fprintf(stderr, "swiftgate serve: %s\n", err);
        return 2;
    }
    if (sg_scoreboard_create(pconf, sg_group_all(), 0) != APR_SUCCESS) {
        sg_log_s(APLOG_CRIT, 0, &server, SG_LOGNO(00803),
                 "cannot map the scoreboard's shared memory");
        return 1;
    }
    if (sg_daemon_start_all(pconf, &server, sg_group_all(), &settings) != OK) {
        return 1;
    }
    supervise(&server, g, &signals);
    notify("STOPPING=1");
    sg_log_s(APLOG_NOTICE, 0, &server, SG_LOGNO(00804),
             "daemon group '%s': stopping: running requests finish within "
             "shutdown-timeout",
             g->name);
    /* The pool's cleanup stops every process (as Apache's stop does). */
    apr_pool_destroy(pconf);
    apr_terminate();
    return 0;
}

/* The daemons end with _exit and never come back here: only the supervisor
 * removes the socket file, once its processes are gone or never started. */
int main(int argc, char **argv)
{
    sg_socket_file socket_file;
    int status;

    memset(&socket_file, 0, sizeof(socket_file));
    status = run(argc, argv, &socket_file);

    remove_socket_file(&socket_file);
    return status;
}
