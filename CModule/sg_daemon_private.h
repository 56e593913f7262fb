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

/* Random bytes in a group's secret: 256 bits cannot be guessed through a
 * socket. */
#define SG_SECRET_BYTES 32

/* What the process in a slot is to its group (sg_daemon.role). */
#define SG_ROLE_MEMBER    0 /* serves; replaced when it dies */
#define SG_ROLE_CANDIDATE 1 /* a replacement on trial: not replaced */
#define SG_ROLE_RETIRING  2 /* told to finish and exit: not replaced */

/* One process slot of a group. */
typedef struct sg_daemon {
    sg_group *group;
    int slot;
    apr_proc_t proc; /* pid 0 when none runs */
    apr_time_t started;
    int failures;
    int role;
    unsigned epoch;             /* the group's epoch when it was forked */
    apr_time_t busy_seen;       /* when a thread of it was last seen busy */
    apr_uint64_t requests_seen; /* its scoreboard count at busy_seen */
    sg_crash_output output;     /* its stderr, read by the parent */
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
    const sg_daemon_fixed *fixed; /* swiftgate serve's, or NULL */
} sg_daemon_cycle;

/* The cycle the daemons run under now. */
const sg_daemon_cycle *sg_daemon_current(void);

/*
 * Forks a process into a slot (its role and epoch set by the caller).
 * @param d the slot
 * @param delay how long the process waits before loading anything
 */
void sg_daemon_spawn(sg_daemon *d, apr_interval_time_t delay);

/* Reaps a process of a group (an APR other-child callback; data is its
 * sg_daemon) and decides whether and when it is replaced. */
void sg_daemon_event(int reason, void *data, int status);

/* ---- sg_daemon_handover.c: processes of earlier configurations ---- */

/* A group's socket, secret and processes on their way to the next
 * configuration. */
typedef struct sg_handover sg_handover;

/*
 * The start of a configuration cycle: finds (or makes) what earlier
 * cycles left in the process pool and takes over their draining daemons.
 * @return this cycle's generation number
 */
unsigned sg_handover_begin(apr_pool_t *process_pool, apr_pool_t *pconf);

/* What the previous configuration handed over for a group of this name
 * (same socket owner, socket file still the one bound), or NULL. */
sg_handover *sg_handover_find(sg_group *g);

/* Gives the group the handed-over socket and secret. */
void sg_handover_apply(apr_pool_t *pconf, sg_group *g, const sg_handover *h);

/* Takes the handed-over processes into the group's slots (those beyond
 * its processes are recycled). @return how many it took */
int sg_handover_take(apr_pool_t *pconf, sg_group *g, sg_handover *h);

/* A graceful restart: keeps the group's socket open and its processes
 * running for the next configuration. @return 1 when handed over, 0 when
 * its processes must drain */
int sg_handover_give(sg_group *g);

/* Handovers no group took: their processes drain. */
void sg_handover_drain_unclaimed(void);

/* Tracks a process that finishes its requests and exits; its output pipe
 * moves into the record. @param path its socket, removed after the last
 * process of its generation ("" keeps it) */
void sg_handover_drain(pid_t pid, const char *path, const char *group,
                       sg_crash_output *output);

/* In a process that is not the parent: closes the draining processes'
 * output pipes. */
void sg_handover_close_outputs(void);

/* The parent's monitor: relays what draining processes wrote. */
void sg_handover_monitor(void);

/* A stop: SIGTERM to every draining process. */
void sg_handover_signal_draining(void);

/* A stop: reaps the draining processes that ended (kill_left: SIGKILL the
 * others first). @return how many are left */
int sg_handover_reap_draining(int kill_left);

/* ---- sg_daemon_pool.c: a group's processes over time ---- */

/* Sets up a group's management (start_all, before its first fork). */
void sg_pool_init(apr_pool_t *p, sg_group *g);

/* The parent's periodic work for a group: a rolling restart's next step,
 * the watch on its libraries, the pool's size. */
void sg_pool_tick(sg_group *g);

/*
 * A process of the group ended (its slot already empty); decides whether
 * it is replaced.
 * @param pid the process that ended
 * @param status its exit status
 * @return 1 when the pool took care of it (no replacement), 0 otherwise
 */
int sg_pool_process_ended(sg_daemon *d, pid_t pid, int status);

/*
 * Starts a rolling restart of the group.
 * @param why what asked for it, for the log
 * @return NULL, or why it cannot start now
 */
const char *sg_pool_restart(sg_group *g, const char *why);

/*
 * A graceful restart handed the group `adopted` running processes of the
 * previous configuration (already in its slots, epoch 0): they are
 * replaced by a rolling restart, and keep serving if it fails.
 */
void sg_pool_adopted(sg_group *g, int adopted);

/*
 * Sets how many processes an adaptive group runs.
 * @param n within min-processes and max-processes
 * @param who who asked, for the log
 * @return NULL, or why not
 */
const char *sg_pool_scale(sg_group *g, int n, const char *who);

/* Starts the parent's tick: a helper process whose exit, half a second
 * later, runs every group's sg_pool_tick and the control socket's commands
 * in the parent, and starts the next one. */
void sg_pool_ticker_start(void);

/* Stops the tick (the end of a cycle). */
void sg_pool_ticker_stop(void);

/* ---- sg_daemon_control.c: swiftgate restart/scale ---- */

/*
 * Makes the control socket (the real start, in the parent): owned by
 * Apache's User, mode 0600, and every connection checked (SO_PEERCRED)
 * for root or that user.
 * @param path where; a stale socket there is replaced
 * @return APR_SUCCESS or why not
 */
apr_status_t sg_control_open(apr_pool_t *p, const char *path);

/* Answers the control connections waiting (the parent's tick). */
void sg_control_poll(void);

/* Closes the control socket and removes it (the end of a cycle). */
void sg_control_close(void);

/* Closes this process's copy of the listening control socket (an Apache
 * child, a daemon): only the parent answers it. */
void sg_control_forget(void);

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
