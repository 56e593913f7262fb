/*
 * sg_daemon_private.h -- what the parent's supervision (sg_daemon.c) and a
 * forked daemon process (sg_daemon_process.c) share; no other file
 * includes it.
 */
#ifndef SG_DAEMON_PRIVATE_H
#define SG_DAEMON_PRIVATE_H

#include "sg_group.h"

#include "apr_thread_proc.h"

typedef struct sg_daemon {
    sg_group *group;
    int slot;
    apr_proc_t proc; /* pid 0 when none runs */
    apr_time_t started;
    int failures;
} sg_daemon;

/* The configuration cycle being run, set by sg_daemon_start_all: the
 * parent's pid, the cycle's pool and main server. */
extern pid_t sg_daemon_parent_pid;
extern apr_pool_t *sg_daemon_cycle_pool;
extern server_rec *sg_daemon_main_server;
/* libSwiftGateDaemon.so, as sg_daemon_check found it. */
extern const char *sg_daemon_library;

/* Runs in the forked process of d, after waiting delay (a stop request
 * ends the wait); never returns. */
void sg_daemon_main(sg_daemon *d, apr_interval_time_t delay);

#endif /* SG_DAEMON_PRIVATE_H */
