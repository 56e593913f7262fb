/*
 * sg_crash.h -- crash reports. In the parent: a daemon's standard output
 * and error go to a pipe the parent reads, so that its last words (a Swift
 * runtime trap's message, the backtracer's report) reach the error log
 * under the incident id of its death. In an Apache child: a request whose
 * daemon died under it gets one log line naming the group, the pid, how it
 * died, the request and its age, and a 502 that carries the incident id.
 */
#ifndef SG_CRASH_H
#define SG_CRASH_H

#include "httpd.h"

#include "sg_group.h"

/* A daemon's output as the parent reads it: the pipe and the start of a
 * line not ended yet. */
typedef struct sg_crash_output {
    int fd; /* read end, -1 when none */
    apr_size_t len;
    char line[512];
    /* Whole lines read by the last pass, logged by the next one: so that
     * what a daemon wrote just before it died is logged under the
     * incident id of its death, not as ordinary output. */
    apr_size_t held_len;
    char held[8192];
} sg_crash_output;

/*
 * Before forking a daemon: makes its output pipe.
 * @param fds out: the pipe's ends
 * @return 0, or -1 (the daemon then keeps Apache's standard error)
 */
int sg_crash_pipe(int fds[2]);

/*
 * In the forked daemon: its standard output and error become the pipe's
 * write end, non-blocking (a daemon that writes more than the pipe holds
 * between the parent's reads loses output rather than stalling). Apache's
 * error log, when it is the standard error itself, moves to a descriptor
 * of its own first, so the daemon's log lines still go straight to it.
 * @param fds the pipe from sg_crash_pipe
 * @param s the main server, whose servers' error logs are looked at
 * @param p for the moved log
 */
void sg_crash_daemon_side(int fds[2], server_rec *s, apr_pool_t *p);

/*
 * In the parent after the fork: keeps the read end in out.
 */
void sg_crash_parent_side(int fds[2], sg_crash_output *out);

/*
 * Logs what a daemon wrote, one error-log line per line: while it runs,
 * the lines the previous call read (the new ones wait for the next call);
 * once it has ended, everything left, under its incident id when it
 * failed.
 * @param s the main server
 * @param group the daemon's group name
 * @param pid the daemon
 * @param out its output
 * @param ended whether the daemon has ended (the pipe is then closed)
 * @param incident the incident id of a failed daemon's end, or NULL
 */
void sg_crash_read_output(server_rec *s, const char *group, pid_t pid,
                          sg_crash_output *out, int ended,
                          const char *incident);

/*
 * In an Apache child, when a daemon closed a request's connection before
 * the response ended: finds which process served it (the scoreboard, by
 * request id), waits briefly for the parent to record how it ended, logs
 * the crash report and sets the 502's note (error-notes and the
 * SWIFTGATE_INCIDENT variable an ErrorDocument can show).
 * @param r the request
 * @param g its group
 * @param request_id the request's id
 * @return 1 when the daemon died (reported), 0 when it is still alive
 *         (the caller logs the closed connection itself)
 */
int sg_crash_report(request_rec *r, const sg_group *g, const char *request_id);

#endif /* SG_CRASH_H */
