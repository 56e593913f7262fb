/*
 * sg_scoreboard.h -- what a running site is doing, in shared memory that
 * the Apache parent maps before it forks anything (like httpd's own
 * scoreboard): one slot per daemon process (a group has room for
 * SG_SB_SPARE_SLOTS more processes than it runs, for a replacement during
 * a rolling restart), one per Apache child running embedded applications,
 * and in each slot one entry per thread for the request it serves.
 *
 * Who writes what. Every field has one writer, and nothing on the request
 * path takes a lock:
 *  - a supervision record (sg_sb_supervised), one per daemon slot: the
 *    Apache parent alone (pid, start time, restarts, how the last process
 *    ended);
 *  - a process slot (sg_sb_process): the process in it; counters are
 *    atomic additions from its threads, and each request entry
 *    (sg_sb_request) is written by the one thread that owns it, under a
 *    sequence number so that readers never see half an entry.
 * Who can touch it. The mapping is anonymous (no file, no key another user
 * can open). A daemon process, which runs the site's code as the group's
 * user, unmaps all of it but its own slot before any Swift code loads: it
 * can neither read other sites' requests nor write their slots or the
 * parent's records. Apache's children keep the whole mapping to read it
 * for the status page; code in a child (another site's embedded
 * application) could write it, as it can any memory of that child.
 * Nothing read from here decides anything in the parent: the parent only
 * writes its records, and every reader treats slots as untrusted input
 * (strings are cut and escaped, counts clamped).
 */
#ifndef SG_SCOREBOARD_H
#define SG_SCOREBOARD_H

#include "httpd.h"

#include "sg_group.h"
#include "swiftgate.h"

/* Slots a group has beyond its processes: room for a new process started
 * before the one it replaces has exited. A group's slots are sized once,
 * at sg_scoreboard_create, from its processes (a pool that grows needs its
 * largest size there); whoever forks a daemon into slot N, or reaps it,
 * calls sg_scoreboard_process_started / _ended with that N. */
#define SG_SB_SPARE_SLOTS 1

/* The request duration histogram's upper bounds, in microseconds (the
 * Prometheus client libraries' default buckets, 5 ms to 10 s); one more
 * bucket counts the rest. */
#define SG_SB_BUCKETS 11
extern const apr_int64_t sg_sb_bucket_bounds[SG_SB_BUCKETS];

/* How a daemon process ended (sg_sb_supervised.last_how). */
#define SG_SB_ENDED_NONE    0
#define SG_SB_ENDED_EXIT    1 /* last_code: its exit status */
#define SG_SB_ENDED_SIGNAL  2 /* last_code: the signal number */
#define SG_SB_ENDED_TIMEOUT 3 /* exited for request-timeout */
#define SG_SB_ENDED_LOST    4 /* the parent lost track of it */

/* Application metric kinds (swiftgate_host.metric_register). */
#define SG_SB_METRIC_COUNTER SWIFTGATE_METRIC_COUNTER
#define SG_SB_METRIC_GAUGE   SWIFTGATE_METRIC_GAUGE
#define SG_SB_METRIC_SUMMARY SWIFTGATE_METRIC_SUMMARY

/* Sizes of the strings a request entry keeps (cut to fit, NUL-ended). */
#define SG_SB_METHOD_LEN  12
#define SG_SB_ID_LEN      40
#define SG_SB_CLIENT_LEN  48
#define SG_SB_URI_LEN     140
#define SG_SB_LIBRARY_LEN 256
/* Application metrics one process can hold; more are not recorded. */
#define SG_SB_METRICS     128
#define SG_SB_METRIC_NAME 112

/* The request one thread serves. started is 0 while the thread is idle. */
typedef struct sg_sb_request {
    volatile apr_uint32_t seq; /* odd while the owning thread writes */
    apr_uint32_t slow_ms;      /* slow-request for it, 0 none */
    apr_int64_t started;       /* µs since the epoch, 0 idle */
    char method[SG_SB_METHOD_LEN];
    char id[SG_SB_ID_LEN];
    char client[SG_SB_CLIENT_LEN];
    char uri[SG_SB_URI_LEN];
} sg_sb_request;

/* One application metric of a process: its name with labels in the
 * Prometheus text form (name{key="value",...}). */
typedef struct sg_sb_metric {
    volatile apr_uint32_t ready; /* set once name and kind are written */
    apr_uint32_t kind;           /* SG_SB_METRIC_* */
    volatile apr_uint64_t count; /* counter value; summary count */
    volatile apr_uint64_t bits;  /* gauge value; summary sum (a double) */
    char name[SG_SB_METRIC_NAME];
} sg_sb_metric;

/* A process slot, written by the process in it. */
typedef struct sg_sb_process {
    volatile apr_uint32_t pid;
    volatile apr_uint32_t next_entry; /* entries handed to threads so far */
    volatile apr_int64_t started;     /* µs since the epoch */
    volatile apr_uint64_t requests;   /* ended */
    volatile apr_uint64_t bytes_in, bytes_out;
    volatile apr_uint64_t status[6]; /* by class: [1] 1xx ... [5] 5xx */
    volatile apr_uint64_t duration[SG_SB_BUCKETS + 1];
    volatile apr_uint64_t duration_sum; /* µs */
    volatile apr_int64_t library_mtime; /* s since the epoch */
    char library[SG_SB_LIBRARY_LEN];    /* the application it serves */
    volatile apr_uint32_t metric_count; /* metrics claimed */
    /* A daemon that called exit(): 1 + its status (the parent's reaper
     * reports exit statuses and signal numbers alike; this tells them
     * apart, for the words of a crash report only). */
    volatile apr_uint32_t exit_called;
    sg_sb_metric metrics[SG_SB_METRICS];
    sg_sb_request entries[]; /* one per thread */
} sg_sb_process;

/* A daemon slot's supervision record, written by the Apache parent. */
typedef struct sg_sb_supervised {
    volatile apr_uint32_t seq; /* odd while the parent writes */
    apr_uint32_t pid;          /* running now, 0 none */
    apr_int64_t started;       /* when it was forked, µs */
    apr_uint32_t restarts;     /* processes started after the first */
    apr_uint32_t last_pid;     /* the last one to end */
    apr_int64_t last_started;
    apr_int64_t last_ended;
    apr_int32_t last_how; /* SG_SB_ENDED_* */
    apr_int32_t last_code;
} sg_sb_supervised;

/* A place in the board: a group's slot, or (group -1) an Apache child's. */
typedef struct sg_sb_where {
    int group; /* index in the groups given to sg_scoreboard_create; -1 */
    int slot;
} sg_sb_where;

/*
 * Makes this configuration cycle's board (post_config, before any daemon
 * or child is forked). Sized from each group's processes and threads and,
 * when embedded is set, from the MPM's limits on children and threads.
 * @param pconf the cycle's pool: the board is unmapped with it
 * @param groups the groups (sg_group), in the order later calls index
 * @param embedded whether Apache's children run applications themselves
 * @return APR_SUCCESS, or why the memory could not be mapped
 */
apr_status_t sg_scoreboard_create(apr_pool_t *pconf, apr_array_header_t *groups,
                                  int embedded);

/* Slots a group has (its processes + SG_SB_SPARE_SLOTS), 0 without a
 * board. */
int sg_scoreboard_slots(int group);

/* ---- the parent ---- */

/*
 * Records a group's listening socket, for queue lengths (the parent, once
 * the socket is made and before anything forks).
 */
void sg_scoreboard_group_socket(int group, int listen_fd);

/*
 * The parent forked a daemon into a slot (clears the slot for it).
 */
void sg_scoreboard_process_started(int group, int slot, pid_t pid,
                                   apr_time_t started);

/*
 * The parent reaped a daemon.
 * @param status what the reaper reported: an exit status or a signal
 *        number (told apart here: the daemon's own exit statuses, a
 *        recorded exit(), else a signal)
 * @param lost whether the parent lost track of it
 * @return SG_SB_ENDED_* as recorded
 */
int sg_scoreboard_process_ended(int group, int slot, pid_t pid, int status,
                                int lost);

/*
 * A daemon process's incident id, the same in every process that knows
 * its pid and when the parent forked it: names its crash in log lines and
 * error pages.
 * @param buf at least SG_SB_INCIDENT_LEN bytes
 */
#define SG_SB_INCIDENT_LEN 32
void sg_scoreboard_incident(char *buf, pid_t pid, apr_time_t started);

/*
 * Requests waiting in a group's listening socket for a daemon to accept
 * them, as the kernel counts them (sock_diag): trustworthy in the parent.
 * @return the count, or -1 when it cannot be read
 */
int sg_scoreboard_queue_length(int group);

/*
 * Threads of a daemon slot serving a request now. Written by the daemon:
 * a hint, to be clamped by whoever decides on it.
 * @return 0..threads, 0 for an empty slot
 */
int sg_scoreboard_busy(int group, int slot);

/* ---- a daemon process ---- */

/*
 * In a forked daemon, before it loads anything: unmaps the board but its
 * own slot, and points config's report callbacks and host's metric
 * callbacks at that slot.
 */
void sg_scoreboard_daemon_attach(int group, int slot,
                                 swiftgate_daemon_config *config,
                                 swiftgate_host *host);

/* ---- an Apache child ---- */

/*
 * In an Apache child (child_init): takes a free embedded slot, and sets
 * host's metric callbacks when there is one.
 */
void sg_scoreboard_child_init(swiftgate_host *host);

/*
 * An embedded request starts and ends on the calling thread (its entry in
 * this child's slot). begin returns an opaque token for end, NULL when the
 * child has no slot or the thread no entry.
 */
void *sg_scoreboard_embedded_begin(request_rec *r, const char *request_id,
                                   apr_uint32_t slow_ms);
void sg_scoreboard_embedded_end(void *token, int status, apr_off_t bytes_in,
                                apr_off_t bytes_out);

/* This child's own slot (read-only), NULL when it has none. */
const sg_sb_process *sg_scoreboard_self(void);

/* ---- readers (the status page, crash reports) ---- */

/* The board's processes: groups then Apache children. */
int sg_scoreboard_groups(void);
int sg_scoreboard_children(void);
/* Entries (threads) per slot of a group, or of a child for group -1. */
int sg_scoreboard_entries(int group);

/* A process slot for reading, or NULL; never written through. */
const sg_sb_process *sg_scoreboard_process(sg_sb_where w);

/* A consistent copy of a supervision record. */
void sg_scoreboard_supervised_copy(int group, int slot, sg_sb_supervised *out);

/*
 * A consistent copy of one request entry, its strings NUL-ended.
 * @return 1 when the entry holds a request, 0 when idle
 */
int sg_scoreboard_request_copy(const sg_sb_process *p, int entry,
                               sg_sb_request *out);

/*
 * Finds the daemon slot and entry serving a request id in a group.
 * @return 1 and where/entry/copy set when found
 */
int sg_scoreboard_find_request(int group, const char *id, sg_sb_where *where,
                               int *entry, sg_sb_request *copy);

/* The resident memory of a process in bytes (/proc), 0 when unknown. */
apr_uint64_t sg_scoreboard_rss(pid_t pid);

/* A double stored as its bits (metric values). */
double sg_scoreboard_double(apr_uint64_t bits);

#endif /* SG_SCOREBOARD_H */
