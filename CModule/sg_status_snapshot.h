/*
 * sg_status_snapshot.h -- what the status page's writers share: one read
 * of the scoreboard (sg_status.c makes it and writes HTML and JSON;
 * sg_status_metrics.c writes the Prometheus text). Only those two files
 * include it.
 */
#ifndef SG_STATUS_SNAPSHOT_H
#define SG_STATUS_SNAPSHOT_H

#include "httpd.h"

#include "sg_scoreboard.h"

/* The group label of Apache's own children. */
#define SG_STATUS_EMBEDDED "(embedded)"

typedef struct sg_status_slot {
    int group; /* -1: an Apache child */
    int slot;
    pid_t pid;
    apr_time_t started;
    int busy, threads;
    apr_uint64_t rss, requests, bytes_in, bytes_out;
    apr_uint64_t status[6];
    apr_uint64_t duration[SG_SB_BUCKETS + 1];
    apr_uint64_t duration_sum;
    const char *library;
    apr_int64_t library_mtime;
    sg_sb_supervised sup;
    const sg_sb_process *p;
} sg_status_slot;

typedef struct sg_status_request {
    const char *group;
    int slot;
    pid_t pid;
    int thread;
    sg_sb_request e;
    apr_interval_time_t age;
    int slow;
} sg_status_request;

typedef struct sg_status_snapshot {
    apr_time_t now;
    apr_array_header_t *slots;    /* sg_status_slot */
    apr_array_header_t *requests; /* sg_status_request, longest first */
    int slow;
} sg_status_snapshot;

/*
 * Reads the scoreboard: every slot with a process (and every daemon slot),
 * and every request in progress, longest first.
 * @param p the request's pool
 */
sg_status_snapshot *sg_status_take_snapshot(apr_pool_t *p);

/* A group's name for labels and headings; SG_STATUS_EMBEDDED for -1. */
const char *sg_status_group_name(int group);
/* Microseconds as seconds with one decimal. */
const char *sg_status_seconds(apr_pool_t *p, apr_interval_time_t t);
/* A slot's process label: its number, or child-N. */
const char *sg_status_slot_label(apr_pool_t *p, const sg_status_slot *s);
/* The last part of a path. */
const char *sg_status_basename(const char *path);
/* A counter of the board, read atomically. */
apr_uint64_t sg_status_load64(const volatile apr_uint64_t *v);

/*
 * Writes the snapshot in the Prometheus text format (0.0.4): the
 * gateway's metrics, then the applications' own, summed per group.
 */
void sg_status_write_metrics(request_rec *r, const sg_status_snapshot *snap);

#endif /* SG_STATUS_SNAPSHOT_H */
