/*
 * sg_daemon_control.c -- the control socket `swiftgate restart GROUP` and
 * `swiftgate scale GROUP N` talk to, in the Apache parent: one line in,
 * one line out, answered on the parent's tick.
 *
 * Who can reach it. The socket is made under the umask 0177 and owned by
 * Apache's User, in the directory the group sockets live in (one nobody
 * else can write to, checked at startup): only that user and root can
 * connect. Every connection is checked again with SO_PEERCRED, so a socket
 * that someone else could open (a changed mode, a passed descriptor) still
 * only takes commands from root and User, and each command is logged with
 * the uid and pid that sent it. Apache's children and the daemons do not
 * keep the listening socket: code running there cannot take commands
 * meant for the parent. What User can do here is what it could already do
 * to the daemons it talks to: restart a group, or size it within its
 * min-processes and max-processes.
 */
#include "sg_daemon_private.h"
#include "sg_log.h"

#include "apr_strings.h"
#include "unixd.h"

#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Connections answered per tick: a flood waits, and the parent's loop is
 * never held longer than this many short reads. */
#define SG_CONTROL_PER_TICK 4
/* How long a connected client has to send its command line. */
#define SG_CONTROL_READ_TIMEOUT_MS 200
/* The longest command line. */
#define SG_CONTROL_LINE 256

static int control_fd = -1;
static char control_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

apr_status_t sg_control_open(apr_pool_t *p, const char *path)
{
    struct sockaddr_un sa;
    mode_t old;
    int fd, rc;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        return APR_ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    unlink(path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return errno;
    }
    old = umask(0177);
    rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (rc != 0
        || (geteuid() == 0
            && fchownat(AT_FDCWD, path, ap_unixd_config.user_id, (gid_t)-1,
                        AT_SYMLINK_NOFOLLOW))
        || listen(fd, SG_CONTROL_PER_TICK * 2) != 0) {
        rc = errno;
        close(fd);
        unlink(path);
        return rc;
    }
    control_fd = fd;
    apr_cpystrn(control_path, path, sizeof(control_path));
    return APR_SUCCESS;
}

void sg_control_close(void)
{
    if (control_fd >= 0) {
        close(control_fd);
        control_fd = -1;
        unlink(control_path);
    }
}

void sg_control_forget(void)
{
    if (control_fd >= 0) {
        close(control_fd);
        control_fd = -1;
    }
}

static void reply(int fd, const char *text)
{
    apr_size_t len = strlen(text), off = 0;

    while (off < len) {
        ssize_t n = send(fd, text + off, len - off, MSG_NOSIGNAL);
        if (n <= 0) {
            return;
        }
        off += (apr_size_t)n;
    }
}

/* Reads one line within the time limit; NULL when none came. */
static char *read_line(int fd, char *buf, apr_size_t size)
{
    apr_size_t len = 0;
    apr_time_t deadline =
        apr_time_now() + apr_time_from_msec(SG_CONTROL_READ_TIMEOUT_MS);

    while (len < size - 1) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int wait = (int)apr_time_as_msec(deadline - apr_time_now());
        ssize_t n;
        char *nl;

        if (wait <= 0 || poll(&pfd, 1, wait) <= 0) {
            return NULL;
        }
        n = recv(fd, buf + len, size - 1 - len, MSG_DONTWAIT);
        if (n <= 0) {
            return NULL;
        }
        len += (apr_size_t)n;
        buf[len] = '\0';
        if ((nl = strchr(buf, '\n'))) {
            *nl = '\0';
            return buf;
        }
    }
    return NULL;
}

static sg_group *find_group(const char *name)
{
    apr_array_header_t *groups = sg_daemon_current()->groups;
    int i;

    for (i = 0; i < groups->nelts; i++) {
        sg_group *g = &((sg_group *)groups->elts)[i];
        if (!strcmp(g->name, name)) {
            return g;
        }
    }
    return NULL;
}

/* Carries out one command line; returns the reply. */
static const char *command(apr_pool_t *p, char *line, const char *who)
{
    char *last, *verb = apr_strtok(line, " \t\r", &last);
    char *name = verb ? apr_strtok(NULL, " \t\r", &last) : NULL;
    char *count = name ? apr_strtok(NULL, " \t\r", &last) : NULL;
    sg_group *g;
    const char *err;
    char *end;
    long n;

    if (!verb || !name || (strcmp(verb, "restart") && strcmp(verb, "scale"))) {
        return "error: expected 'restart GROUP' or 'scale GROUP N'\n";
    }
    if (!(g = find_group(name))) {
        return apr_psprintf(p, "error: no daemon group '%s'\n",
                            ap_escape_logitem(p, name));
    }
    if (!strcmp(verb, "restart")) {
        sg_log_s(
            APLOG_NOTICE, 0, sg_daemon_current()->main_server, SG_LOGNO(00431),
            "daemon group '%s': rolling restart asked by %s", g->name, who);
        err =
            sg_pool_restart(g, apr_psprintf(p, "swiftgate restart by %s", who));
        return err ? apr_psprintf(p, "error: %s\n", err)
                   : apr_psprintf(p,
                                  "ok: rolling restart of '%s' started; the "
                                  "error log tells its progress\n",
                                  g->name);
    }
    n = count ? strtol(count, &end, 10) : -1;
    if (!count || *end || n < 1 || n > 100000) {
        return "error: scale needs a whole number of processes\n";
    }
    err = sg_pool_scale(g, (int)n, who);
    return err ? apr_psprintf(p, "error: %s\n", err)
               : apr_psprintf(p, "ok: group '%s' runs %ld process(es)\n",
                              g->name, n);
}

/* Answers one connection. */
static void answer(apr_pool_t *p, int fd)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    struct passwd *pw;
    char line[SG_CONTROL_LINE];
    const char *who;

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        return;
    }
    pw = getpwuid(cred.uid);
    who = apr_psprintf(p, "uid %ld (%s), pid %ld", (long)cred.uid,
                       pw ? pw->pw_name : "?", (long)cred.pid);
    if (cred.uid != 0 && cred.uid != ap_unixd_config.user_id) {
        sg_log_s(APLOG_WARNING, 0, sg_daemon_current()->main_server,
                 SG_LOGNO(00430),
                 "control socket: refused a connection from %s: only root "
                 "and Apache's User may control daemon groups",
                 who);
        reply(fd, "error: only root and Apache's User may control daemon "
                  "groups\n");
        return;
    }
    if (!read_line(fd, line, sizeof(line))) {
        reply(fd, "error: no command line\n");
        return;
    }
    reply(fd, command(p, line, who));
}

void sg_control_poll(void)
{
    apr_pool_t *p;
    int i, fd;

    if (control_fd < 0
        || apr_pool_create(&p, sg_daemon_current()->pool) != APR_SUCCESS) {
        return;
    }
    for (i = 0; i < SG_CONTROL_PER_TICK; i++) {
        if ((fd = accept4(control_fd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
            break;
        }
        answer(p, fd);
        /* Shut for every holder: a process forked while the command ran
         * (a replacement) holds a copy that must not keep it open. */
        shutdown(fd, SHUT_RDWR);
        close(fd);
        apr_pool_clear(p);
    }
    apr_pool_destroy(p);
}
