/*
 * sg_status.c -- the status page: reads the scoreboard (sg_scoreboard.h)
 * into a snapshot and writes it as HTML or JSON (the Prometheus text is
 * sg_status_metrics.c's). Every string read from the board was written by
 * a process that may run untrusted code, so each is escaped for the
 * format it goes into.
 */
#include "sg_status.h"
#include "sg_group.h"
#include "sg_log.h"
#include "sg_scoreboard.h"
#include "sg_status_snapshot.h"

#include "apr_lib.h"
#include "apr_strings.h"
#include "http_protocol.h"
#include "util_script.h"

#include <signal.h>

/* The longest ?refresh= a page takes, and the most requests it lists. */
#define SG_STATUS_MAX_REFRESH  3600
#define SG_STATUS_MAX_REQUESTS 50

const char *sg_status_group_name(int gi)
{
    sg_group *g = (sg_group *)sg_group_all()->elts;

    return gi < 0 ? SG_STATUS_EMBEDDED : g[gi].name;
}

apr_uint64_t sg_status_load64(const volatile apr_uint64_t *v)
{
    return __atomic_load_n(v, __ATOMIC_RELAXED);
}

static void read_slot(apr_pool_t *p, sg_status_snapshot *snap, int gi, int si)
{
    const sg_sb_process *sp = sg_scoreboard_process((sg_sb_where){gi, si});
    sg_status_slot *s;
    char library[SG_SB_LIBRARY_LEN];
    int i, entries = sg_scoreboard_entries(gi);

    if (!sp) {
        return;
    }
    s = apr_array_push(snap->slots);
    memset(s, 0, sizeof(*s));
    s->group = gi;
    s->slot = si;
    s->p = sp;
    s->threads = entries;
    if (gi >= 0) {
        /* The parent's record says who runs there, not the slot. */
        sg_scoreboard_supervised_copy(gi, si, &s->sup);
        s->pid = (pid_t)s->sup.pid;
        s->started = s->sup.started;
        if (s->pid == 0) {
            return;
        }
    }
    else {
        s->pid = (pid_t)__atomic_load_n(&sp->pid, __ATOMIC_RELAXED);
        s->started = sp->started;
        if (s->pid == 0 || (kill(s->pid, 0) != 0 && errno == ESRCH)) {
            apr_array_pop(snap->slots);
            return;
        }
    }
    s->rss = sg_scoreboard_rss(s->pid);
    s->requests = sg_status_load64(&sp->requests);
    s->bytes_in = sg_status_load64(&sp->bytes_in);
    s->bytes_out = sg_status_load64(&sp->bytes_out);
    for (i = 0; i < 6; i++) {
        s->status[i] = sg_status_load64(&sp->status[i]);
    }
    for (i = 0; i <= SG_SB_BUCKETS; i++) {
        s->duration[i] = sg_status_load64(&sp->duration[i]);
    }
    s->duration_sum = sg_status_load64(&sp->duration_sum);
    memcpy(library, sp->library, sizeof(library));
    library[sizeof(library) - 1] = '\0';
    s->library = apr_pstrdup(p, library);
    s->library_mtime = sp->library_mtime;
    for (i = 0; i < entries; i++) {
        sg_status_request *q;
        sg_sb_request e;

        if (!sg_scoreboard_request_copy(sp, i, &e)) {
            continue;
        }
        s->busy++;
        q = apr_array_push(snap->requests);
        q->group = sg_status_group_name(gi);
        q->slot = si;
        q->pid = s->pid;
        q->thread = i;
        q->e = e;
        q->age = snap->now - e.started;
        q->age = q->age < 0 ? 0 : q->age;
        q->slow = e.slow_ms && q->age >= apr_time_from_msec(e.slow_ms);
        snap->slow += q->slow;
    }
}

static int by_age(const void *a, const void *b)
{
    const sg_status_request *x = a, *y = b;

    return x->age < y->age ? 1 : x->age > y->age ? -1 : 0;
}

sg_status_snapshot *sg_status_take_snapshot(apr_pool_t *p)
{
    sg_status_snapshot *snap = apr_pcalloc(p, sizeof(*snap));
    int gi, si;

    snap->now = apr_time_now();
    snap->slots = apr_array_make(p, 16, sizeof(sg_status_slot));
    snap->requests = apr_array_make(p, 16, sizeof(sg_status_request));
    for (gi = 0; gi < sg_scoreboard_groups(); gi++) {
        for (si = 0; si < sg_scoreboard_slots(gi); si++) {
            read_slot(p, snap, gi, si);
        }
    }
    for (si = 0; si < sg_scoreboard_children(); si++) {
        read_slot(p, snap, -1, si);
    }
    qsort(snap->requests->elts, snap->requests->nelts,
          sizeof(sg_status_request), by_age);
    return snap;
}

/* ---- words ---- */

static const char *signal_name(int sig)
{
    const char *abbrev = sigabbrev_np(sig);

    return abbrev ? abbrev : "?";
}

/* How a slot's last process ended, in words; NULL when none ended. */
static const char *ended_text(apr_pool_t *p, const sg_sb_supervised *s)
{
    switch (s->last_how) {
        case SG_SB_ENDED_EXIT:
            return apr_psprintf(p, "exited with status %d", s->last_code);
        case SG_SB_ENDED_SIGNAL:
            return apr_psprintf(p, "killed by SIG%s",
                                signal_name(s->last_code));
        case SG_SB_ENDED_TIMEOUT:
            return "exited for request-timeout";
        case SG_SB_ENDED_LOST:
            return "lost";
        default:
            return NULL;
    }
}

const char *sg_status_seconds(apr_pool_t *p, apr_interval_time_t t)
{
    return apr_psprintf(p, "%.1f", (double)t / APR_USEC_PER_SEC);
}

static const char *json_string(apr_pool_t *p, const char *s)
{
    apr_size_t n = strlen(s), i;
    char *out = apr_palloc(p, 6 * n + 3), *o = out;

    *o++ = '"';
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        }
        else if (c < 0x20 || c >= 0x7f) {
            o += apr_snprintf(o, 7, "\\u%04x", c);
        }
        else {
            *o++ = (char)c;
        }
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

/* Printable text for HTML: control bytes become '?', then escaped. */
static const char *html(apr_pool_t *p, const char *s)
{
    char *copy = apr_pstrdup(p, s), *c;

    for (c = copy; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            *c = '?';
        }
    }
    return ap_escape_html2(p, copy, 1);
}

const char *sg_status_basename(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

const char *sg_status_slot_label(apr_pool_t *p, const sg_status_slot *s)
{
    return s->group < 0 ? apr_psprintf(p, "child-%d", s->slot)
                        : apr_itoa(p, s->slot);
}

/* ---- HTML ---- */

static void html_slots(request_rec *r, const sg_status_snapshot *snap, int gi)
{
    const sg_status_slot *s = (const sg_status_slot *)snap->slots->elts;
    int i;

    ap_rputs("<table>\n<tr><th>slot</th><th>pid</th><th>up</th>"
             "<th>requests</th><th>busy threads</th><th>2xx</th><th>3xx</th>"
             "<th>4xx</th><th>5xx</th><th>in</th><th>out</th><th>memory</th>",
             r);
    if (gi >= 0) {
        ap_rputs("<th>restarts</th><th>last exit</th>", r);
    }
    ap_rputs("<th>application</th></tr>\n", r);
    for (i = 0; i < snap->slots->nelts; i++) {
        const char *ended;
        int width;

        if (s[i].group != gi || (gi >= 0 && !s[i].pid && !s[i].sup.last_pid)) {
            continue;
        }
        width = s[i].threads ? 100 * s[i].busy / s[i].threads : 0;
        ap_rprintf(r, "<tr><td>%s</td>", sg_status_slot_label(r->pool, &s[i]));
        if (s[i].pid) {
            ap_rprintf(
                r,
                "<td>%ld</td><td>%s s</td><td>%" APR_UINT64_T_FMT "</td>"
                "<td><div class=bar><span style=\"width:%d%%\"></span></div>"
                "%d/%d</td>",
                (long)s[i].pid,
                sg_status_seconds(r->pool, snap->now - s[i].started),
                s[i].requests, width, s[i].busy, s[i].threads);
        }
        else {
            ap_rputs("<td>-</td><td>-</td><td>-</td><td>(starting)</td>", r);
        }
        ap_rprintf(r,
                   "<td>%" APR_UINT64_T_FMT "</td><td>%" APR_UINT64_T_FMT
                   "</td><td>%" APR_UINT64_T_FMT "</td><td>%" APR_UINT64_T_FMT
                   "</td><td>%" APR_UINT64_T_FMT " B</td><td>%" APR_UINT64_T_FMT
                   " B</td><td>%.1f MiB</td>",
                   s[i].status[2], s[i].status[3], s[i].status[4],
                   s[i].status[5], s[i].bytes_in, s[i].bytes_out,
                   (double)s[i].rss / (1024 * 1024));
        if (gi >= 0) {
            ended = ended_text(r->pool, &s[i].sup);
            ap_rprintf(r, "<td>%u</td><td>%s</td>", s[i].sup.restarts,
                       ended ? apr_psprintf(r->pool, "pid %u %s",
                                            s[i].sup.last_pid, ended)
                             : "");
        }
        ap_rprintf(
            r, "<td title=\"%s\">%s%s</td></tr>\n", html(r->pool, s[i].library),
            html(r->pool, sg_status_basename(s[i].library)),
            s[i].library_mtime ? apr_psprintf(
                r->pool, " <small>(modified %s)</small>",
                ap_ht_time(r->pool, apr_time_from_sec(s[i].library_mtime),
                           "%Y-%m-%d %H:%M:%S", 0))
                               : "");
    }
    ap_rputs("</table>\n", r);
}

static void html_requests(request_rec *r, const sg_status_snapshot *snap,
                          int slow_only)
{
    const sg_status_request *q =
        (const sg_status_request *)snap->requests->elts;
    int i, shown = 0;

    ap_rputs("<table>\n<tr><th>age</th><th>group</th><th>pid</th>"
             "<th>thread</th><th>request</th><th>client</th>"
             "<th>request id</th></tr>\n",
             r);
    for (i = 0; i < snap->requests->nelts && shown < SG_STATUS_MAX_REQUESTS;
         i++) {
        if (slow_only && !q[i].slow) {
            continue;
        }
        shown++;
        ap_rprintf(r,
                   "<tr%s><td>%s s</td><td>%s</td><td>%ld</td><td>%d</td>"
                   "<td class=l>%s %s</td><td>%s</td><td>%s</td></tr>\n",
                   q[i].slow ? " class=slow" : "",
                   sg_status_seconds(r->pool, q[i].age),
                   html(r->pool, q[i].group), (long)q[i].pid, q[i].thread,
                   html(r->pool, q[i].e.method), html(r->pool, q[i].e.uri),
                   html(r->pool, q[i].e.client), html(r->pool, q[i].e.id));
    }
    ap_rputs("</table>\n", r);
}

static void write_html(request_rec *r, const sg_status_snapshot *snap,
                       int refresh)
{
    sg_group *g = (sg_group *)sg_group_all()->elts;
    int gi;

    ap_set_content_type(r, "text/html; charset=utf-8");
    if (refresh) {
        apr_table_setn(r->headers_out, "Refresh", apr_itoa(r->pool, refresh));
    }
    ap_rputs("<!DOCTYPE html>\n<html><head><meta charset=utf-8>"
             "<title>mod_swiftgate status</title>\n<style>"
             "body{font:14px sans-serif;margin:1em 2em}"
             "table{border-collapse:collapse;margin-bottom:1.5em}"
             "th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}"
             "th{background:#eee}td:last-child{text-align:left}"
             ".bar{display:inline-block;width:80px;height:10px;"
             "background:#e3e3e3;margin-right:6px}"
             ".bar span{display:block;height:10px;background:#3a7}"
             "tr.slow td{background:#fdd}td.l{text-align:left}</style></head>"
             "<body>\n"
             "<h1>mod_swiftgate status</h1>\n",
             r);
    ap_rprintf(r, "<p>%s &middot; %d request(s) in progress, %d slow",
               ap_ht_time(r->pool, snap->now, "%Y-%m-%d %H:%M:%S %Z", 0),
               snap->requests->nelts, snap->slow);
    if (refresh) {
        ap_rprintf(r, " &middot; refreshed every %d s", refresh);
    }
    ap_rputs(" &middot; <a href=\"?json\">json</a> &middot; "
             "<a href=\"?metrics\">metrics</a></p>\n",
             r);
    for (gi = 0; gi < sg_scoreboard_groups(); gi++) {
        int queue = sg_scoreboard_queue_length(gi);

        ap_rprintf(r,
                   "<h2>daemon group %s</h2>\n<p>%d process(es) of %d "
                   "thread(s); %s waiting in the socket's queue",
                   html(r->pool, g[gi].name), g[gi].processes, g[gi].threads,
                   queue < 0 ? "?" : apr_itoa(r->pool, queue));
        if (g[gi].slow_request) {
            ap_rprintf(r, "; slow-request %ld s",
                       (long)apr_time_sec(g[gi].slow_request));
        }
        ap_rputs("</p>\n", r);
        html_slots(r, snap, gi);
    }
    if (sg_scoreboard_children()) {
        ap_rputs("<h2>embedded (Apache's children)</h2>\n", r);
        html_slots(r, snap, -1);
    }
    ap_rputs("<h2>slow requests</h2>\n", r);
    if (snap->slow) {
        html_requests(r, snap, 1);
    }
    else {
        ap_rputs("<p>none</p>\n", r);
    }
    ap_rputs("<h2>requests in progress, longest first</h2>\n", r);
    html_requests(r, snap, 0);
    ap_rputs("</body></html>\n", r);
}

/* ---- JSON ---- */

static void write_json(request_rec *r, const sg_status_snapshot *snap)
{
    sg_group *g = (sg_group *)sg_group_all()->elts;
    const sg_status_slot *s = (const sg_status_slot *)snap->slots->elts;
    const sg_status_request *q =
        (const sg_status_request *)snap->requests->elts;
    apr_pool_t *p = r->pool;
    int gi, i, first;

    ap_set_content_type(r, "application/json");
    ap_rprintf(r, "{\"time\":%s,\"groups\":[", sg_status_seconds(p, snap->now));
    for (gi = -1; gi < sg_scoreboard_groups(); gi++) {
        if (gi < 0 && !sg_scoreboard_children()) {
            continue;
        }
        if (gi < 0) {
            ap_rputs("{\"name\":\"" SG_STATUS_EMBEDDED "\",\"embedded\":true,",
                     r);
        }
        else {
            int queue = sg_scoreboard_queue_length(gi);
            ap_rprintf(r,
                       "%s{\"name\":%s,\"embedded\":false,\"processes\":%d,"
                       "\"threads\":%d,\"queue\":%d,\"slow_request\":%ld,",
                       gi > 0 || sg_scoreboard_children() ? "," : "",
                       json_string(p, g[gi].name), g[gi].processes,
                       g[gi].threads, queue,
                       (long)apr_time_sec(g[gi].slow_request));
        }
        ap_rputs("\"slots\":[", r);
        for (i = 0, first = 1; i < snap->slots->nelts; i++) {
            const char *ended;

            if (s[i].group != gi) {
                continue;
            }
            ended = gi >= 0 ? ended_text(p, &s[i].sup) : NULL;
            ap_rprintf(
                r,
                "%s{\"slot\":%d,\"pid\":%ld,\"started\":%s,\"requests\":"
                "%" APR_UINT64_T_FMT ",\"busy\":%d,\"threads\":%d,"
                "\"rss\":%" APR_UINT64_T_FMT ",\"bytes_in\":%" APR_UINT64_T_FMT
                ",\"bytes_out\":%" APR_UINT64_T_FMT ",\"status\":{\"1xx\":"
                "%" APR_UINT64_T_FMT ",\"2xx\":%" APR_UINT64_T_FMT
                ",\"3xx\":%" APR_UINT64_T_FMT ",\"4xx\":%" APR_UINT64_T_FMT
                ",\"5xx\":%" APR_UINT64_T_FMT "},\"library\":%s,"
                "\"library_mtime\":%" APR_INT64_T_FMT
                ",\"restarts\":%u,\"last_exit\":",
                first ? "" : ",", s[i].slot, (long)s[i].pid,
                sg_status_seconds(p, s[i].started), s[i].requests, s[i].busy,
                s[i].threads, s[i].rss, s[i].bytes_in, s[i].bytes_out,
                s[i].status[1], s[i].status[2], s[i].status[3], s[i].status[4],
                s[i].status[5],
                json_string(p, s[i].library ? s[i].library : ""),
                s[i].library_mtime, s[i].sup.restarts);
            if (ended) {
                ap_rprintf(r, "{\"pid\":%u,\"how\":%s,\"at\":%s}}",
                           s[i].sup.last_pid, json_string(p, ended),
                           sg_status_seconds(p, s[i].sup.last_ended));
            }
            else {
                ap_rputs("null}", r);
            }
            first = 0;
        }
        ap_rputs("]}", r);
    }
    ap_rputs("],\"requests\":[", r);
    for (i = 0; i < snap->requests->nelts; i++) {
        ap_rprintf(r,
                   "%s{\"group\":%s,\"slot\":%d,\"pid\":%ld,\"thread\":%d,"
                   "\"method\":%s,\"uri\":%s,\"client\":%s,\"id\":%s,"
                   "\"age\":%s,\"slow\":%s}",
                   i ? "," : "", json_string(p, q[i].group), q[i].slot,
                   (long)q[i].pid, q[i].thread, json_string(p, q[i].e.method),
                   json_string(p, q[i].e.uri), json_string(p, q[i].e.client),
                   json_string(p, q[i].e.id),
                   apr_psprintf(p, "%.3f", (double)q[i].age / APR_USEC_PER_SEC),
                   q[i].slow ? "true" : "false");
    }
    ap_rputs("]}\n", r);
}

/* Whether the query string has word (alone or as word=...); its value. */
static int has_arg(request_rec *r, const char *word, const char **value)
{
    const char *c = r->args;
    apr_size_t len = strlen(word);

    while (c && *c) {
        if (!strncmp(c, word, len)
            && (c[len] == '\0' || c[len] == '&' || c[len] == ';'
                || c[len] == '=')) {
            if (value) {
                *value = c[len] == '=' ? c + len + 1 : "";
            }
            return 1;
        }
        c += strcspn(c, "&;");
        c += *c != '\0';
    }
    return 0;
}

int sg_status_handler(request_rec *r)
{
    const char *value;
    sg_status_snapshot *snap;
    int refresh = 0;

    if (!r->handler || strcmp(r->handler, SG_STATUS_HANDLER)) {
        return DECLINED;
    }
    if (r->method_number != M_GET) {
        r->allowed = AP_METHOD_BIT << M_GET;
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (has_arg(r, "refresh", &value)) {
        refresh = atoi(value);
        refresh = refresh < 1                       ? 1
                  : refresh > SG_STATUS_MAX_REFRESH ? SG_STATUS_MAX_REFRESH
                                                    : refresh;
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    snap = sg_status_take_snapshot(r->pool);
    if (r->header_only) {
        ap_set_content_type(r, "text/html; charset=utf-8");
        return OK;
    }
    if (has_arg(r, "metrics", NULL)) {
        sg_status_write_metrics(r, snap);
    }
    else if (has_arg(r, "json", NULL)) {
        write_json(r, snap);
    }
    else {
        write_html(r, snap, refresh);
    }
    return OK;
}
