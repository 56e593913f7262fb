/*
 * sg_crash.c -- crash reports: a daemon's output in the parent, and the
 * report of a request whose daemon died, in the Apache child that was
 * waiting for its response.
 */
#include "sg_crash.h"
#include "sg_cgi.h"
#include "sg_log.h"
#include "sg_scoreboard.h"

#include "apr_file_io.h"
#include "apr_portable.h"
#include "apr_strings.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* What a daemon's output pipe holds between the parent's reads (it reads
 * every few seconds, and all of it when the daemon ends): room for a
 * Swift backtrace. */
#define SG_CRASH_PIPE_SIZE (1024 * 1024)
/* How long a request whose daemon closed its connection waits for the
 * parent to record how the daemon ended: the MPMs reap children once a
 * second. */
#define SG_CRASH_WAIT apr_time_from_sec(3)
/* How long a daemon may look alive after closing a request's connection
 * before it counts as alive (it closed the connection on purpose). */
#define SG_CRASH_ALIVE apr_time_from_msec(300)
#define SG_CRASH_POLL  apr_time_from_msec(20)
/* How long the parent waits, when a daemon has failed, for the rest of its
 * output: the Swift backtracer's helper may still be writing after the
 * process itself has gone. The parent's maintenance waits meanwhile, so
 * it is short. */
#define SG_CRASH_LAST_WORDS 2000 /* ms */

int sg_crash_pipe(int fds[2])
{
    if (pipe(fds) != 0) {
        fds[0] = fds[1] = -1;
        return -1;
    }
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    fcntl(fds[1], F_SETPIPE_SZ, SG_CRASH_PIPE_SIZE);
    return 0;
}

/* Every server whose error log is standard error gets a copy of it. */
static void move_error_logs(server_rec *main_server, apr_pool_t *p)
{
    apr_file_t *moved = NULL;
    server_rec *s;
    apr_os_file_t fd;

    for (s = main_server; s; s = s->next) {
        if (!s->error_log || apr_os_file_get(&fd, s->error_log) != APR_SUCCESS
            || fd != STDERR_FILENO) {
            continue;
        }
        if (!moved && apr_file_dup(&moved, s->error_log, p) != APR_SUCCESS) {
            return;
        }
        s->error_log = moved;
    }
}

void sg_crash_daemon_side(int fds[2], server_rec *s, apr_pool_t *p)
{
    if (fds[1] < 0) {
        return;
    }
    move_error_logs(s, p);
    close(fds[0]);
    fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    if (fds[1] > STDERR_FILENO) {
        close(fds[1]);
    }
}

void sg_crash_parent_side(int fds[2], sg_crash_output *out)
{
    if (out->fd >= 0) {
        close(out->fd);
    }
    out->fd = fds[0];
    out->len = 0;
    if (fds[1] >= 0) {
        close(fds[1]);
    }
}

static void log_line(server_rec *s, const char *group, pid_t pid,
                     const char *incident, char *line, apr_size_t len)
{
    apr_size_t i;

    for (i = 0; i < len; i++) {
        if ((unsigned char)line[i] < 0x20 && line[i] != '\t') {
            line[i] = '?';
        }
    }
    if (!len) {
        return;
    }
    if (incident) {
        sg_log_s(APLOG_ERR, 0, s, SG_LOGNO(00417),
                 "incident %s: daemon group '%s' process %ld said: %.*s",
                 incident, group, (long)pid, (int)len, line);
    }
    else {
        sg_log_s(APLOG_WARNING, 0, s, SG_LOGNO(00416),
                 "daemon group '%s' process %ld wrote: %.*s", group, (long)pid,
                 (int)len, line);
    }
}

/* Logs each line of text[0..len), the last one unended or not. */
static void log_lines(server_rec *s, const char *group, pid_t pid,
                      const char *incident, char *text, apr_size_t len)
{
    while (len) {
        char *nl = memchr(text, '\n', len);
        apr_size_t n = nl ? (apr_size_t)(nl - text) : len;

        log_line(s, group, pid, incident, text, n);
        n += nl != NULL;
        text += n;
        len -= n;
    }
}

/* Keeps a whole line for the next pass; one that does not fit is logged
 * now. */
static void hold_line(server_rec *s, const char *group, pid_t pid,
                      sg_crash_output *out, int ended, const char *incident)
{
    if (!ended && out->held_len + out->len + 1 <= sizeof(out->held)) {
        memcpy(out->held + out->held_len, out->line, out->len);
        out->held_len += out->len;
        out->held[out->held_len++] = '\n';
    }
    else {
        log_line(s, group, pid, incident, out->line, out->len);
    }
    out->len = 0;
}

void sg_crash_read_output(server_rec *s, const char *group, pid_t pid,
                          sg_crash_output *out, int ended, const char *incident)
{
    char buf[4096];
    ssize_t n;

    if (out->fd < 0) {
        return;
    }
    /* What the last pass read goes out first, in order. */
    log_lines(s, group, pid, incident, out->held, out->held_len);
    out->held_len = 0;
    for (;;) {
        ssize_t i;

        n = read(out->fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN && ended && incident) {
            struct pollfd wait = {out->fd, POLLIN, 0};

            if (poll(&wait, 1, SG_CRASH_LAST_WORDS) > 0) {
                continue;
            }
        }
        if (n <= 0) {
            break;
        }
        for (i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                hold_line(s, group, pid, out, ended, incident);
                continue;
            }
            if (out->len == sizeof(out->line)) {
                hold_line(s, group, pid, out, ended, incident);
            }
            out->line[out->len++] = buf[i];
        }
    }
    if (ended) {
        log_line(s, group, pid, incident, out->line, out->len);
        out->len = 0;
        close(out->fd);
        out->fd = -1;
    }
}

/* ---- in an Apache child ---- */

/* A process's state letter from /proc (R, S, D, Z ...), 0 when it is gone. */
static char process_state(pid_t pid)
{
    char path[64], buf[256], *close_paren;
    ssize_t n;
    int fd;

    apr_snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) {
        return 0;
    }
    buf[n] = '\0';
    close_paren = strrchr(buf, ')');
    return close_paren && close_paren[1] == ' ' ? close_paren[2] : 0;
}

static const char *how_text(apr_pool_t *p, int how, int code)
{
    switch (how) {
        case SG_SB_ENDED_SIGNAL: {
            const char *name = sigabbrev_np(code);
            return apr_psprintf(p, "was killed by signal %d (SIG%s)", code,
                                name ? name : "?");
        }
        case SG_SB_ENDED_TIMEOUT:
            return "was killed for request-timeout";
        case SG_SB_ENDED_LOST:
            return "was lost track of";
        default:
            return apr_psprintf(p, "exited with status %d", code);
    }
}

int sg_crash_report(request_rec *r, const sg_group *g, const char *request_id)
{
    const sg_group *all = (const sg_group *)sg_group_all()->elts;
    int gi = (int)(g - all), entry;
    sg_sb_where where;
    sg_sb_request e;
    sg_sb_supervised sup;
    apr_time_t began = apr_time_now(), started;
    char incident[SG_SB_INCIDENT_LEN];
    const char *how;
    pid_t pid;

    if (!sg_scoreboard_find_request(gi, request_id, &where, &entry, &e)) {
        return 0;
    }
    sg_scoreboard_supervised_copy(gi, where.slot, &sup);
    pid = (pid_t)sup.pid;
    started = sup.started;
    if (!pid) {
        return 0;
    }
    for (;;) {
        char state;

        sg_scoreboard_supervised_copy(gi, where.slot, &sup);
        if (sup.last_pid == (apr_uint32_t)pid) {
            break;
        }
        state = process_state(pid);
        if (state && state != 'Z' && state != 'X'
            && apr_time_now() - began > SG_CRASH_ALIVE) {
            return 0; /* alive: it closed the connection itself */
        }
        if (apr_time_now() - began > SG_CRASH_WAIT) {
            sup.last_how = SG_SB_ENDED_NONE;
            break;
        }
        apr_sleep(SG_CRASH_POLL);
    }
    sg_scoreboard_incident(incident, pid, started);
    how = sup.last_how == SG_SB_ENDED_NONE
              ? "ended (the parent had not reaped it yet)"
              : how_text(r->pool, sup.last_how, sup.last_code);
    sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00520),
             "incident %s: daemon group '%s' process %ld %s while serving "
             "\"%s\" (request id %s, thread %d, running %.3f s)",
             incident, g->name, (long)pid, how, r->the_request, request_id,
             entry, (double)(apr_time_now() - e.started) / APR_USEC_PER_SEC);
    apr_table_setn(r->subprocess_env, "SWIFTGATE_INCIDENT",
                   apr_pstrdup(r->pool, incident));
    apr_table_setn(r->notes, "error-notes",
                   apr_psprintf(r->pool,
                                "The application's process ended while "
                                "serving this request (incident %s).",
                                incident));
    apr_table_setn(r->notes, "verbose-error-to", "*");
    return 1;
}
