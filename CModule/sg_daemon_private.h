/*
 * sg_daemon_private.h -- what the parent's supervision (sg_daemon.c) and a
 * forked daemon process (sg_daemon_process.c) share; no other file
 * includes it.
 */
#ifndef SG_DAEMON_PRIVATE_H
#define SG_DAEMON_PRIVATE_H

#include "sg_crash.h"
#include "sg_daemon.h"

#include "apr_thread_proc.h"

/* One process slot of a group. */
typedef struct sg_daemon {
    sg_group *group;
    int slot;
    apr_proc_t proc; /* pid 0 when none runs */
    apr_time_t started;
    int failures;
    sg_crash_output output; /* its stderr, read by the parent */
} sg_daemon;

/* The configuration cycle the daemons run under, as sg_daemon_start_all
 * was given it. */
typedef struct sg_daemon_cycle {
    pid_t parent_pid;
    apr_pool_t *pool;
    server_rec *main_server;
    apr_array_header_t *groups; /* sg_group */
    const char *library;        /* libSwiftGateDaemon.so, resolved */
    const char *const *libraries;
} sg_daemon_cycle;

/*
 * The life of a forked daemon process: signals, environment, privileges,
 * then libSwiftGateDaemon.so serving the group's socket.
 * @param c the cycle it was forked in
 * @param d its slot, whose group it serves
 * @param delay how long to wait before loading anything (back-off after
 *        failures); a stop request ends the wait
 * Never returns: the process exits with a SWIFTGATE_DAEMON_EXIT_* status.
 */
void sg_daemon_process_main(const sg_daemon_cycle *c, sg_daemon *d,
                            apr_interval_time_t delay);

#endif /* SG_DAEMON_PRIVATE_H */
