/*
 * sg_scoreboard.c -- the board's memory and its writers (see
 * sg_scoreboard.h for who writes what and who can touch it).
 *
 * Layout of the one anonymous shared mapping, each part page-aligned so a
 * daemon can unmap everything but its own slot:
 *   [supervision records of every daemon slot]
 *   [group 0 slot 0] [group 0 slot 1] ... [group 1 slot 0] ...
 *   [Apache child 0] [Apache child 1] ...
 * Where each part starts lives in this file's statics, which every child
 * and daemon inherits from the parent at fork.
 */
#include "sg_scoreboard.h"
#include "sg_log.h"
#include "sg_sockdiag.h"

#include "ap_mpm.h"
#include "scoreboard.h"
#include "apr_strings.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

const apr_int64_t sg_sb_bucket_bounds[SG_SB_BUCKETS] = {
    5000,   10000,   25000,   50000,   100000,  250000,
    500000, 1000000, 2500000, 5000000, 10000000};

typedef struct sb_group {
    int slots;
    int entries;
    apr_size_t first; /* offset of slot 0 */
    apr_size_t slot_size;
    apr_uint64_t socket_ino; /* 0: unknown */
} sb_group;

/* This cycle's board: set in the parent, inherited by every fork. */
static struct {
    char *base;
    apr_size_t size;
    int ngroups;
    sb_group *groups;
    sg_sb_supervised *supervised; /* per group: groups[g].slots records */
    int *supervised_first;        /* index of each group's first record */
    int children, child_entries;
    apr_size_t children_first, child_size;
} board;

/* The slot this process writes: a daemon's, or an Apache child's. */
static sg_sb_process *self;
static int self_entries;
/* An Apache thread's entry in its child's slot: -1 not asked yet. */
static __thread int thread_entry = -1;

static apr_size_t page_round(apr_size_t n)
{
    apr_size_t page = (apr_size_t)sysconf(_SC_PAGESIZE);

    return (n + page - 1) / page * page;
}

static apr_size_t process_size(int entries)
{
    return page_round(sizeof(sg_sb_process)
                      + (apr_size_t)entries * sizeof(sg_sb_request));
}

static apr_status_t unmap_board(void *data)
{
    if (board.base && !self) {
        munmap(board.base, board.size);
    }
    memset(&board, 0, sizeof(board));
    return APR_SUCCESS;
}

apr_status_t sg_scoreboard_create(apr_pool_t *pconf, apr_array_header_t *groups,
                                  int embedded)
{
    const sg_group *g = (const sg_group *)groups->elts;
    apr_size_t offset, records = 0;
    int i, limit = 0, threads = 0;
    void *base;

    memset(&board, 0, sizeof(board));
    self = NULL;
    board.ngroups = groups->nelts;
    board.groups = apr_pcalloc(pconf, sizeof(sb_group) * (groups->nelts + 1));
    board.supervised_first =
        apr_pcalloc(pconf, sizeof(int) * (groups->nelts + 1));
    for (i = 0; i < groups->nelts; i++) {
        board.groups[i].slots = g[i].processes + SG_SB_SPARE_SLOTS;
        board.groups[i].entries = g[i].threads;
        board.groups[i].slot_size = process_size(g[i].threads);
        board.supervised_first[i] = (int)records;
        records += (apr_size_t)board.groups[i].slots;
    }
    if (embedded) {
        ap_mpm_query(AP_MPMQ_HARD_LIMIT_DAEMONS, &limit);
        ap_mpm_query(AP_MPMQ_HARD_LIMIT_THREADS, &threads);
        board.children = limit > 0 ? limit : 1;
        board.child_entries = threads > 0 ? threads : 1;
        board.child_size = process_size(board.child_entries);
    }
    offset = page_round(records * sizeof(sg_sb_supervised));
    for (i = 0; i < groups->nelts; i++) {
        board.groups[i].first = offset;
        offset += board.groups[i].slot_size * board.groups[i].slots;
    }
    board.children_first = offset;
    offset += board.child_size * board.children;
    if (offset == 0) {
        return APR_SUCCESS;
    }
    base = mmap(NULL, offset, PROT_READ | PROT_WRITE,
                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        memset(&board, 0, sizeof(board));
        return errno;
    }
    board.base = base;
    board.size = offset;
    board.supervised = (sg_sb_supervised *)board.base;
    apr_pool_cleanup_register(pconf, NULL, unmap_board, apr_pool_cleanup_null);
    return APR_SUCCESS;
}

int sg_scoreboard_slots(int group)
{
    return board.base && group >= 0 && group < board.ngroups
               ? board.groups[group].slots
               : 0;
}

int sg_scoreboard_groups(void)
{
    return board.base ? board.ngroups : 0;
}

int sg_scoreboard_children(void)
{
    return board.base ? board.children : 0;
}

int sg_scoreboard_entries(int group)
{
    if (group < 0) {
        return board.child_entries;
    }
    return group < board.ngroups ? board.groups[group].entries : 0;
}

static sg_sb_process *slot_at(sg_sb_where w)
{
    if (!board.base) {
        return NULL;
    }
    if (w.group < 0) {
        return w.slot >= 0 && w.slot < board.children
                   ? (sg_sb_process *)(board.base + board.children_first
                                       + board.child_size * w.slot)
                   : NULL;
    }
    if (w.group >= board.ngroups || w.slot < 0
        || w.slot >= board.groups[w.group].slots) {
        return NULL;
    }
    return (sg_sb_process *)(board.base + board.groups[w.group].first
                             + board.groups[w.group].slot_size * w.slot);
}

const sg_sb_process *sg_scoreboard_process(sg_sb_where w)
{
    return slot_at(w);
}

static sg_sb_supervised *supervised_at(int group, int slot)
{
    if (!board.base || group < 0 || group >= board.ngroups || slot < 0
        || slot >= board.groups[group].slots) {
        return NULL;
    }
    return &board.supervised[board.supervised_first[group] + slot];
}

/* ---- sequence numbers: one writer, readers retry ---- */

static void seq_begin(volatile apr_uint32_t *seq)
{
    __atomic_store_n(seq, *seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
}

static void seq_end(volatile apr_uint32_t *seq)
{
    __atomic_store_n(seq, *seq + 1, __ATOMIC_RELEASE);
}

/* Copies src while its writer is not in the middle of it; a few tries,
 * then whatever was read (strings are NUL-ended by the caller). */
static void seq_copy(void *dst, const void *src, apr_size_t len,
                     const volatile apr_uint32_t *seq)
{
    int tries;

    for (tries = 0; tries < 8; tries++) {
        apr_uint32_t before = __atomic_load_n(seq, __ATOMIC_ACQUIRE);

        memcpy(dst, src, len);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (!(before & 1) && __atomic_load_n(seq, __ATOMIC_RELAXED) == before) {
            return;
        }
    }
}

/* ---- the parent ---- */

void sg_scoreboard_group_socket(int group, int listen_fd)
{
    struct stat st;

    if (group >= 0 && group < board.ngroups && fstat(listen_fd, &st) == 0) {
        board.groups[group].socket_ino = (apr_uint64_t)st.st_ino;
    }
}

void sg_scoreboard_process_started(int group, int slot, pid_t pid,
                                   apr_time_t started)
{
    sg_sb_supervised *s = supervised_at(group, slot);
    sg_sb_process *p = slot_at((sg_sb_where){group, slot});

    if (!s || !p) {
        return;
    }
    /* The slot starts empty for its new process. */
    memset((void *)p, 0, board.groups[group].slot_size);
    seq_begin(&s->seq);
    if (s->started) {
        s->restarts++;
    }
    s->pid = (apr_uint32_t)pid;
    s->started = started;
    seq_end(&s->seq);
}

void sg_scoreboard_incident(char *buf, pid_t pid, apr_time_t started)
{
    apr_snprintf(buf, SG_SB_INCIDENT_LEN, "%08x-%ld",
                 (unsigned)(apr_time_as_msec(started) & 0xffffffffu),
                 (long)pid);
}

int sg_scoreboard_process_ended(int group, int slot, pid_t pid, int status,
                                int lost)
{
    sg_sb_supervised *s = supervised_at(group, slot);
    const sg_sb_process *p = slot_at((sg_sb_where){group, slot});
    apr_uint32_t called = p ? p->exit_called : 0;
    int how, code = status;

    if (lost) {
        how = SG_SB_ENDED_LOST;
    }
    else if (status == SWIFTGATE_DAEMON_EXIT_TIMEOUT) {
        how = SG_SB_ENDED_TIMEOUT;
    }
    else if (status == SWIFTGATE_DAEMON_EXIT_OK
             || status == SWIFTGATE_DAEMON_EXIT_FAILED
             || status == SWIFTGATE_DAEMON_EXIT_STARTUP
             || status == SWIFTGATE_DAEMON_EXIT_HEALTH
             || status == SWIFTGATE_DAEMON_EXIT_MEMORY
             || (called && (int)called - 1 == status) || status >= 128) {
        how = SG_SB_ENDED_EXIT;
    }
    else {
        how = SG_SB_ENDED_SIGNAL;
    }
    if (!s) {
        return how;
    }
    seq_begin(&s->seq);
    s->last_pid = (apr_uint32_t)pid;
    s->last_started = s->pid == (apr_uint32_t)pid ? s->started : 0;
    s->last_ended = apr_time_now();
    s->last_how = how;
    s->last_code = code;
    if (s->pid == (apr_uint32_t)pid) {
        s->pid = 0;
    }
    seq_end(&s->seq);
    return how;
}

void sg_scoreboard_supervised_copy(int group, int slot, sg_sb_supervised *out)
{
    const sg_sb_supervised *s = supervised_at(group, slot);

    memset(out, 0, sizeof(*out));
    if (s) {
        seq_copy(out, s, sizeof(*out), &s->seq);
    }
}

int sg_scoreboard_busy(int group, int slot)
{
    const sg_sb_process *p = slot_at((sg_sb_where){group, slot});
    int i, busy = 0, n;

    if (!p) {
        return 0;
    }
    n = board.groups[group].entries;
    for (i = 0; i < n; i++) {
        busy += __atomic_load_n(&p->entries[i].started, __ATOMIC_RELAXED) != 0;
    }
    return busy;
}

int sg_scoreboard_queue_length(int group)
{
    if (group < 0 || group >= board.ngroups
        || !board.groups[group].socket_ino) {
        return -1;
    }
    return sg_sockdiag_unix_queue(board.groups[group].socket_ino);
}

/* ---- writing a slot (a daemon, or an Apache child) ---- */

/* Copies at most size-1 bytes of a string, NUL-ended. */
static void put_string(char *dst, apr_size_t size, const char *src,
                       apr_size_t len)
{
    if (len > size - 1) {
        len = size - 1;
    }
    if (src && len) {
        memcpy(dst, src, len);
    }
    dst[src ? len : 0] = '\0';
}

static void entry_begin(sg_sb_request *e, const char *method,
                        apr_size_t method_len, const char *uri,
                        apr_size_t uri_len, const char *id, apr_size_t id_len,
                        const char *client, apr_size_t client_len,
                        apr_uint32_t slow_ms)
{
    seq_begin(&e->seq);
    put_string(e->method, sizeof(e->method), method, method_len);
    put_string(e->uri, sizeof(e->uri), uri, uri_len);
    put_string(e->id, sizeof(e->id), id, id_len);
    put_string(e->client, sizeof(e->client), client, client_len);
    e->slow_ms = slow_ms;
    e->started = apr_time_now();
    seq_end(&e->seq);
}

static void add64(volatile apr_uint64_t *v, apr_uint64_t n)
{
    __atomic_fetch_add(v, n, __ATOMIC_RELAXED);
}

static void entry_end(sg_sb_process *p, sg_sb_request *e, int status,
                      apr_uint64_t bytes_in, apr_uint64_t bytes_out)
{
    apr_int64_t took = apr_time_now() - e->started;
    int bucket = 0;

    if (took < 0) {
        took = 0;
    }
    while (bucket < SG_SB_BUCKETS && took > sg_sb_bucket_bounds[bucket]) {
        bucket++;
    }
    add64(&p->duration[bucket], 1);
    add64(&p->duration_sum, (apr_uint64_t)took);
    add64(&p->status[status >= 100 && status < 600 ? status / 100 : 0], 1);
    add64(&p->bytes_in, bytes_in);
    add64(&p->bytes_out, bytes_out);
    add64(&p->requests, 1);
    seq_begin(&e->seq);
    e->started = 0;
    seq_end(&e->seq);
}

static void set_library(sg_sb_process *p, const char *path, apr_size_t len)
{
    struct stat st;
    char name[SG_SB_LIBRARY_LEN];

    put_string(name, sizeof(name), path, len);
    if (!strcmp(name, p->library)) {
        return;
    }
    memcpy(p->library, name, sizeof(name));
    p->library_mtime = stat(name, &st) == 0 ? (apr_int64_t)st.st_mtime : 0;
}

/* ---- application metrics ---- */

static int32_t metric_register(void *ctx, int32_t kind, const char *name,
                               uint64_t len)
{
    sg_sb_metric *m;
    apr_uint32_t i;

    if (!self || kind < SG_SB_METRIC_COUNTER || kind > SG_SB_METRIC_SUMMARY
        || len == 0 || len >= SG_SB_METRIC_NAME) {
        return -1;
    }
    i = __atomic_fetch_add(&self->metric_count, 1, __ATOMIC_RELAXED);
    if (i >= SG_SB_METRICS) {
        return -1;
    }
    m = &self->metrics[i];
    memcpy(m->name, name, len);
    m->name[len] = '\0';
    m->kind = (apr_uint32_t)kind;
    __atomic_store_n(&m->ready, 1, __ATOMIC_RELEASE);
    return (int32_t)i;
}

static apr_uint64_t double_bits(double d)
{
    apr_uint64_t bits;

    memcpy(&bits, &d, sizeof(bits));
    return bits;
}

double sg_scoreboard_double(apr_uint64_t bits)
{
    double d;

    memcpy(&d, &bits, sizeof(d));
    return d;
}

static void add_double(volatile apr_uint64_t *bits, double value)
{
    apr_uint64_t old = __atomic_load_n(bits, __ATOMIC_RELAXED);

    while (!__atomic_compare_exchange_n(
        bits, &old, double_bits(sg_scoreboard_double(old) + value), 1,
        __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
}

static void metric_update(void *ctx, int32_t metric, int32_t op, double value)
{
    sg_sb_metric *m;

    if (!self || metric < 0 || metric >= SG_SB_METRICS) {
        return;
    }
    m = &self->metrics[metric];
    switch (op) {
        case SWIFTGATE_METRIC_ADD:
            if (m->kind == SG_SB_METRIC_GAUGE) {
                add_double(&m->bits, value);
            }
            else if (value > 0) {
                add64(&m->count, (apr_uint64_t)value);
            }
            break;
        case SWIFTGATE_METRIC_SET:
            __atomic_store_n(&m->bits, double_bits(value), __ATOMIC_RELAXED);
            break;
        case SWIFTGATE_METRIC_OBSERVE:
            if (m->kind == SG_SB_METRIC_GAUGE) {
                __atomic_store_n(&m->bits, double_bits(value),
                                 __ATOMIC_RELAXED);
                break;
            }
            add64(&m->count, 1);
            add_double(&m->bits, value);
            break;
        default:
            break;
    }
}

/* ---- a daemon process ---- */

/* The environ values a report wants, found by name. */
static const swiftgate_pair *find_pair(const swiftgate_pair *env,
                                       uint64_t count, const char *name)
{
    apr_size_t len = strlen(name);
    uint64_t i;

    for (i = 0; i < count; i++) {
        if (env[i].name_len == len && !memcmp(env[i].name, name, len)) {
            return &env[i];
        }
    }
    return NULL;
}

#define PAIR_VALUE(p) ((p) ? (p)->value : NULL), ((p) ? (p)->value_len : 0)

static void report_begin(void *ctx, uint32_t worker, const swiftgate_pair *env,
                         uint64_t count)
{
    const swiftgate_pair *slow;
    char digits[16];
    apr_uint32_t slow_ms = 0;

    if (!self || worker >= (uint32_t)self_entries) {
        return;
    }
    if ((slow = find_pair(env, count, SWIFTGATE_PARAM_SLOW_REQUEST))
        && slow->value_len < sizeof(digits)) {
        memcpy(digits, slow->value, slow->value_len);
        digits[slow->value_len] = '\0';
        slow_ms = (apr_uint32_t)atol(digits) * 1000u;
    }
    entry_begin(&self->entries[worker],
                PAIR_VALUE(find_pair(env, count, "REQUEST_METHOD")),
                PAIR_VALUE(find_pair(env, count, "REQUEST_URI")),
                PAIR_VALUE(find_pair(env, count, SWIFTGATE_ENV_REQUEST_ID)),
                PAIR_VALUE(find_pair(env, count, "REMOTE_ADDR")), slow_ms);
}

static void report_end(void *ctx, uint32_t worker, int32_t status,
                       uint64_t bytes_in, uint64_t bytes_out)
{
    if (self && worker < (uint32_t)self_entries
        && self->entries[worker].started) {
        entry_end(self, &self->entries[worker], status, bytes_in, bytes_out);
    }
}

static void report_library(void *ctx, const char *path, uint64_t len)
{
    if (self) {
        set_library(self, path, (apr_size_t)len);
    }
}

/* Unmaps the whole shared mapping that holds addr, as /proc/self/maps
 * shows it (never memory that is not shared: with httpd -X its
 * scoreboard is on the heap). */
static int unmap_shared(const void *addr)
{
    char line[512];
    FILE *maps = fopen("/proc/self/maps", "re");
    int done = 0;

    if (!maps) {
        return 0;
    }
    while (!done && fgets(line, sizeof(line), maps)) {
        unsigned long from, to;
        char perms[8];

        if (sscanf(line, "%lx-%lx %7s", &from, &to, perms) == 3
            && (unsigned long)addr >= from && (unsigned long)addr < to) {
            if (perms[3] == 's') {
                done = munmap((void *)from, to - from) == 0;
            }
            break;
        }
    }
    fclose(maps);
    return done;
}

/* exit() in a daemon (an application may call it): noted, see
 * sg_sb_process.exit_called. */
static void note_exit(int status, void *arg)
{
    if (self) {
        self->exit_called = 1u + (apr_uint32_t)(status & 0xff);
    }
}

void sg_scoreboard_daemon_attach(int group, int slot,
                                 swiftgate_daemon_config *config,
                                 swiftgate_host *host)
{
    sg_sb_process *p = slot_at((sg_sb_where){group, slot});
    char *start, *end;

    if (!p) {
        return;
    }
    /* Everything but this slot goes: the parent's records and every other
     * process's slot are out of this process's reach from here on. */
    start = (char *)p;
    end = start + board.groups[group].slot_size;
    if (start > board.base) {
        munmap(board.base, (apr_size_t)(start - board.base));
    }
    if (end < board.base + board.size) {
        munmap(end, (apr_size_t)(board.base + board.size - end));
    }
    /* httpd's own scoreboard, which the parent trusts (its children's pids
     * and states), goes too. */
    if (ap_scoreboard_image && ap_scoreboard_image->global
        && unmap_shared((void *)ap_scoreboard_image->global)) {
        ap_scoreboard_image = NULL;
    }
    self = p;
    self_entries = board.groups[group].entries;
    p->pid = (apr_uint32_t)getpid();
    p->started = apr_time_now();
    on_exit(note_exit, NULL);
    config->report_ctx = p;
    config->request_begin = report_begin;
    config->request_end = report_end;
    config->library_loaded = report_library;
    host->metric_register = metric_register;
    host->metric_update = metric_update;
}

/* ---- an Apache child ---- */

/* Whether a child slot's process is gone (or the slot was never used). */
static int slot_free(const sg_sb_process *p)
{
    pid_t pid = (pid_t)__atomic_load_n(&p->pid, __ATOMIC_RELAXED);

    return pid == 0 || (kill(pid, 0) != 0 && errno == ESRCH);
}

void sg_scoreboard_child_init(swiftgate_host *host)
{
    apr_uint32_t me = (apr_uint32_t)getpid();
    int i;

    for (i = 0; i < board.children && !self; i++) {
        sg_sb_process *p = slot_at((sg_sb_where){-1, i});
        apr_uint32_t old = p->pid;

        if (slot_free(p)
            && __atomic_compare_exchange_n(
                &p->pid, &old, me, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
            memset((char *)p + sizeof(p->pid), 0,
                   board.child_size - sizeof(p->pid));
            p->started = apr_time_now();
            self = p;
            self_entries = board.child_entries;
        }
    }
    if (self && host) {
        host->metric_register = metric_register;
        host->metric_update = metric_update;
    }
}

void *sg_scoreboard_embedded_begin(request_rec *r, const char *request_id,
                                   apr_uint32_t slow_ms)
{
    const char *client = r->useragent_ip ? r->useragent_ip : "";
    sg_sb_request *e;

    if (!self) {
        return NULL;
    }
    if (thread_entry < 0) {
        apr_uint32_t n =
            __atomic_fetch_add(&self->next_entry, 1, __ATOMIC_RELAXED);
        thread_entry = n < (apr_uint32_t)self_entries ? (int)n : self_entries;
    }
    if (thread_entry >= self_entries) {
        return NULL;
    }
    if (r->filename && !self->library[0]) {
        set_library(self, r->filename, strlen(r->filename));
    }
    e = &self->entries[thread_entry];
    entry_begin(e, r->method, strlen(r->method), r->unparsed_uri,
                strlen(r->unparsed_uri), request_id,
                request_id ? strlen(request_id) : 0, client, strlen(client),
                slow_ms);
    return e;
}

void sg_scoreboard_embedded_end(void *token, int status, apr_off_t bytes_in,
                                apr_off_t bytes_out)
{
    if (token && self) {
        entry_end(self, token, status,
                  bytes_in > 0 ? (apr_uint64_t)bytes_in : 0,
                  bytes_out > 0 ? (apr_uint64_t)bytes_out : 0);
    }
}

const sg_sb_process *sg_scoreboard_self(void)
{
    return self;
}

/* ---- readers ---- */

int sg_scoreboard_request_copy(const sg_sb_process *p, int entry,
                               sg_sb_request *out)
{
    seq_copy(out, &p->entries[entry], sizeof(*out), &p->entries[entry].seq);
    out->method[sizeof(out->method) - 1] = '\0';
    out->uri[sizeof(out->uri) - 1] = '\0';
    out->id[sizeof(out->id) - 1] = '\0';
    out->client[sizeof(out->client) - 1] = '\0';
    return out->started != 0;
}

int sg_scoreboard_find_request(int group, const char *id, sg_sb_where *where,
                               int *entry, sg_sb_request *copy)
{
    int slot, i;

    if (!id || !*id) {
        return 0;
    }
    for (slot = 0; slot < sg_scoreboard_slots(group); slot++) {
        const sg_sb_process *p = slot_at((sg_sb_where){group, slot});

        for (i = 0; i < board.groups[group].entries; i++) {
            if (sg_scoreboard_request_copy(p, i, copy)
                && !strcmp(copy->id, id)) {
                where->group = group;
                where->slot = slot;
                *entry = i;
                return 1;
            }
        }
    }
    return 0;
}

apr_uint64_t sg_scoreboard_rss(pid_t pid)
{
    char path[64];
    unsigned long size = 0, resident = 0;
    FILE *f;

    if (pid <= 0) {
        return 0;
    }
    apr_snprintf(path, sizeof(path), "/proc/%ld/statm", (long)pid);
    if (!(f = fopen(path, "re"))) {
        return 0;
    }
    if (fscanf(f, "%lu %lu", &size, &resident) != 2) {
        resident = 0;
    }
    fclose(f);
    return (apr_uint64_t)resident * (apr_uint64_t)sysconf(_SC_PAGESIZE);
}
