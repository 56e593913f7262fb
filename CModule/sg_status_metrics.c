/*
 * sg_status_metrics.c -- the status page's ?metrics: the scoreboard in the
 * Prometheus text exposition format. Names and label values written by
 * the processes are checked or escaped: a slot is untrusted input.
 */
#include "sg_status_snapshot.h"

#include "apr_hash.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "http_protocol.h"

#include <math.h>
#include <stdio.h>

/* A Prometheus label value: backslash, quote and newline escaped; other
 * control bytes dropped. */
static const char *label(apr_pool_t *p, const char *s)
{
    apr_size_t n = strlen(s), i;
    char *out = apr_palloc(p, 2 * n + 1), *o = out;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '\\' || c == '"') {
            *o++ = '\\';
            *o++ = (char)c;
        }
        else if (c == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        }
        else if (c >= 0x20 && c != 0x7f) {
            *o++ = (char)c;
        }
    }
    *o = '\0';
    return out;
}

/* Whether text is a metric name with an optional well-formed label set:
 * name{key="value",...}; *brace is where the labels start (or the end). */
static int metric_name_ok(const char *text, const char **brace)
{
    const char *c = text;

    if (!apr_isalpha(*c) && *c != '_' && *c != ':') {
        return 0;
    }
    while (apr_isalnum(*c) || *c == '_' || *c == ':') {
        c++;
    }
    *brace = c;
    if (!*c) {
        return 1;
    }
    if (*c++ != '{') {
        return 0;
    }
    while (*c != '}') {
        if (!apr_isalpha(*c) && *c != '_') {
            return 0;
        }
        while (apr_isalnum(*c) || *c == '_') {
            c++;
        }
        if (*c++ != '=' || *c++ != '"') {
            return 0;
        }
        while (*c != '"') {
            if (!*c || *c == '\n') {
                return 0;
            }
            if (*c == '\\' && (c[1] == '\\' || c[1] == '"' || c[1] == 'n')) {
                c++;
            }
            c++;
        }
        c++;
        if (*c == ',') {
            c++;
        }
        else if (*c != '}') {
            return 0;
        }
    }
    return c[1] == '\0';
}

typedef struct st_family {
    const char *name;
    int kind;
    apr_array_header_t *lines; /* const char * */
} st_family;

typedef struct st_app_metric {
    int kind;
    const char *family;
    const char *labels; /* "" or "key=\"v\"," inside the braces */
    const char *group;
    apr_uint64_t count;
    double value;
} st_app_metric;

/* The application metrics of the snapshot, summed over each group's
 * processes by name and labels. */
static apr_hash_t *app_metrics(apr_pool_t *p, const sg_status_snapshot *snap)
{
    const sg_status_slot *s = (const sg_status_slot *)snap->slots->elts;
    apr_hash_t *sums = apr_hash_make(p);
    int i, m;

    for (i = 0; i < snap->slots->nelts; i++) {
        apr_uint32_t n;

        if (!s[i].pid) {
            continue;
        }
        n = __atomic_load_n(&s[i].p->metric_count, __ATOMIC_RELAXED);
        n = n > SG_SB_METRICS ? SG_SB_METRICS : n;
        for (m = 0; m < (int)n; m++) {
            const sg_sb_metric *sm = &s[i].p->metrics[m];
            char name[SG_SB_METRIC_NAME];
            const char *brace, *key;
            st_app_metric *sum;
            int kind;

            if (!__atomic_load_n(&sm->ready, __ATOMIC_ACQUIRE)) {
                continue;
            }
            memcpy(name, sm->name, sizeof(name));
            name[sizeof(name) - 1] = '\0';
            kind = (int)sm->kind;
            if (!metric_name_ok(name, &brace)
                || strncmp(name, "swiftgate_", 10) == 0
                || kind < SG_SB_METRIC_COUNTER || kind > SG_SB_METRIC_SUMMARY) {
                continue;
            }
            key = apr_pstrcat(p, sg_status_group_name(s[i].group), "\n", name,
                              NULL);
            sum = apr_hash_get(sums, key, APR_HASH_KEY_STRING);
            if (!sum) {
                sum = apr_pcalloc(p, sizeof(*sum));
                sum->kind = kind;
                sum->family = apr_pstrmemdup(p, name, brace - name);
                sum->labels =
                    *brace ? apr_pstrcat(
                        p, apr_pstrmemdup(p, brace + 1, strlen(brace) - 2), ",",
                        NULL)
                           : "";
                if (!strcmp(sum->labels, ",")) {
                    sum->labels = "";
                }
                sum->group = sg_status_group_name(s[i].group);
                apr_hash_set(sums, key, APR_HASH_KEY_STRING, sum);
            }
            if (sum->kind != kind) {
                continue;
            }
            sum->count += sg_status_load64(&sm->count);
            sum->value += sg_scoreboard_double(sg_status_load64(&sm->bits));
        }
    }
    return sums;
}

static st_family *family(apr_pool_t *p, apr_hash_t *families,
                         apr_array_header_t *order, const char *name, int kind)
{
    st_family *f = apr_hash_get(families, name, APR_HASH_KEY_STRING);

    if (!f) {
        f = apr_pcalloc(p, sizeof(*f));
        f->name = name;
        f->kind = kind;
        f->lines = apr_array_make(p, 8, sizeof(const char *));
        apr_hash_set(families, name, APR_HASH_KEY_STRING, f);
        *(st_family **)apr_array_push(order) = f;
    }
    return f->kind == kind ? f : NULL;
}

static void add_line(st_family *f, const char *line)
{
    if (f) {
        *(const char **)apr_array_push(f->lines) = line;
    }
}

static const char *number(apr_pool_t *p, double d)
{
    if (isnan(d)) {
        return "NaN";
    }
    if (isinf(d)) {
        return d > 0 ? "+Inf" : "-Inf";
    }
    char text[32];

    snprintf(text, sizeof(text), "%.15g", d);
    return apr_pstrdup(p, text);
}

void sg_status_write_metrics(request_rec *r, const sg_status_snapshot *snap)
{
    static const char *const kinds[] = {"untyped", "counter", "gauge",
                                        "summary", "histogram"};
    enum { COUNTER = 1, GAUGE = 2, SUMMARY = 3, HISTOGRAM = 4 };
    apr_pool_t *p = r->pool;
    apr_hash_t *families = apr_hash_make(p);
    apr_array_header_t *order = apr_array_make(p, 32, sizeof(st_family *));
    const sg_status_slot *s = (const sg_status_slot *)snap->slots->elts;
    const sg_status_request *q =
        (const sg_status_request *)snap->requests->elts;
    apr_hash_index_t *hi;
    int i, gi, b;

    /* Per process. */
    for (i = 0; i < snap->slots->nelts; i++) {
        const char *who, *app;
        static const char *const classes[] = {"other", "1xx", "2xx",
                                              "3xx",   "4xx", "5xx"};
        int c;

        if (!s[i].pid && s[i].group >= 0 && !s[i].sup.started) {
            continue;
        }
        app = s[i].library && *s[i].library ? sg_status_basename(s[i].library)
                                            : "";
        who = apr_psprintf(p, "group=\"%s\",process=\"%s\"",
                           label(p, sg_status_group_name(s[i].group)),
                           sg_status_slot_label(p, &s[i]));
        if (s[i].group >= 0) {
            add_line(family(p, families, order,
                            "swiftgate_process_restarts_total", COUNTER),
                     apr_psprintf(p, "swiftgate_process_restarts_total{%s} %u",
                                  who, s[i].sup.restarts));
        }
        if (!s[i].pid) {
            continue;
        }
        add_line(
            family(p, families, order, "swiftgate_requests_total", COUNTER),
            apr_psprintf(p,
                         "swiftgate_requests_total{%s,application=\"%s\"} "
                         "%" APR_UINT64_T_FMT,
                         who, label(p, app), s[i].requests));
        for (c = 1; c < 6; c++) {
            add_line(family(p, families, order, "swiftgate_responses_total",
                            COUNTER),
                     apr_psprintf(p,
                                  "swiftgate_responses_total{%s,application="
                                  "\"%s\",class=\"%s\"} %" APR_UINT64_T_FMT,
                                  who, label(p, app), classes[c],
                                  s[i].status[c]));
        }
        add_line(family(p, families, order, "swiftgate_received_bytes_total",
                        COUNTER),
                 apr_psprintf(p,
                              "swiftgate_received_bytes_total{%s} "
                              "%" APR_UINT64_T_FMT,
                              who, s[i].bytes_in));
        add_line(
            family(p, families, order, "swiftgate_sent_bytes_total", COUNTER),
            apr_psprintf(p,
                         "swiftgate_sent_bytes_total{%s} "
                         "%" APR_UINT64_T_FMT,
                         who, s[i].bytes_out));
        add_line(
            family(p, families, order, "swiftgate_busy_threads", GAUGE),
            apr_psprintf(p, "swiftgate_busy_threads{%s} %d", who, s[i].busy));
        add_line(
            family(p, families, order, "swiftgate_threads", GAUGE),
            apr_psprintf(p, "swiftgate_threads{%s} %d", who, s[i].threads));
        add_line(family(p, families, order,
                        "swiftgate_process_resident_memory_bytes", GAUGE),
                 apr_psprintf(p,
                              "swiftgate_process_resident_memory_bytes{%s} "
                              "%" APR_UINT64_T_FMT,
                              who, s[i].rss));
        add_line(family(p, families, order,
                        "swiftgate_process_start_time_seconds", GAUGE),
                 apr_psprintf(p, "swiftgate_process_start_time_seconds{%s} %s",
                              who, sg_status_seconds(p, s[i].started)));
    }
    /* Per group: the queue, slow requests, the duration histogram. */
    for (gi = -1; gi < sg_scoreboard_groups(); gi++) {
        const char *gl;
        apr_uint64_t buckets[SG_SB_BUCKETS + 1], sum = 0, cumulative = 0;
        int slow = 0, any = 0;

        if (gi < 0 && !sg_scoreboard_children()) {
            continue;
        }
        gl = label(p, sg_status_group_name(gi));
        memset(buckets, 0, sizeof(buckets));
        for (i = 0; i < snap->slots->nelts; i++) {
            if (s[i].group != gi || !s[i].pid) {
                continue;
            }
            any = 1;
            for (b = 0; b <= SG_SB_BUCKETS; b++) {
                buckets[b] += s[i].duration[b];
            }
            sum += s[i].duration_sum;
        }
        for (i = 0; i < snap->requests->nelts; i++) {
            slow += q[i].slow && !strcmp(q[i].group, sg_status_group_name(gi));
        }
        if (gi >= 0) {
            add_line(
                family(p, families, order, "swiftgate_queue_length", GAUGE),
                apr_psprintf(p, "swiftgate_queue_length{group=\"%s\"} %d", gl,
                             sg_scoreboard_queue_length(gi)));
        }
        add_line(family(p, families, order, "swiftgate_slow_requests", GAUGE),
                 apr_psprintf(p, "swiftgate_slow_requests{group=\"%s\"} %d", gl,
                              slow));
        if (!any && gi < 0) {
            continue;
        }
        for (b = 0; b <= SG_SB_BUCKETS; b++) {
            cumulative += buckets[b];
            add_line(
                family(p, families, order, "swiftgate_request_duration_seconds",
                       HISTOGRAM),
                apr_psprintf(
                    p,
                    "swiftgate_request_duration_seconds_bucket{group=\"%s\","
                    "le=\"%s\"} %" APR_UINT64_T_FMT,
                    gl,
                    b < SG_SB_BUCKETS
                        ? number(p, (double)sg_sb_bucket_bounds[b] / 1e6)
                        : "+Inf",
                    cumulative));
        }
        add_line(family(p, families, order,
                        "swiftgate_request_duration_seconds", HISTOGRAM),
                 apr_psprintf(p,
                              "swiftgate_request_duration_seconds_sum{group="
                              "\"%s\"} %s",
                              gl, number(p, (double)sum / 1e6)));
        add_line(family(p, families, order,
                        "swiftgate_request_duration_seconds", HISTOGRAM),
                 apr_psprintf(p,
                              "swiftgate_request_duration_seconds_count{"
                              "group=\"%s\"} %" APR_UINT64_T_FMT,
                              gl, cumulative));
    }
    /* The applications' own, summed per group. */
    for (hi = apr_hash_first(p, app_metrics(p, snap)); hi;
         hi = apr_hash_next(hi)) {
        const st_app_metric *m = apr_hash_this_val(hi);
        const char *labels =
            apr_psprintf(p, "{%sgroup=\"%s\"}", m->labels, label(p, m->group));
        apr_size_t len = strlen(m->family);
        /* A counter's samples, and so its TYPE line, end in _total. */
        const char *name =
            m->kind != SG_SB_METRIC_COUNTER
                    || (len > 6 && !strcmp(m->family + len - 6, "_total"))
                ? m->family
                : apr_pstrcat(p, m->family, "_total", NULL);
        st_family *f = family(p, families, order, name, m->kind);

        if (m->kind == SG_SB_METRIC_COUNTER) {
            add_line(f, apr_psprintf(p, "%s%s %" APR_UINT64_T_FMT, name, labels,
                                     m->count));
        }
        else if (m->kind == SG_SB_METRIC_GAUGE) {
            add_line(f, apr_psprintf(p, "%s%s %s", m->family, labels,
                                     number(p, m->value)));
        }
        else {
            add_line(f, apr_psprintf(p, "%s_count%s %" APR_UINT64_T_FMT,
                                     m->family, labels, m->count));
            add_line(f, apr_psprintf(p, "%s_sum%s %s", m->family, labels,
                                     number(p, m->value)));
        }
    }
    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    for (i = 0; i < order->nelts; i++) {
        const st_family *f = ((st_family **)order->elts)[i];
        int l;

        ap_rprintf(r, "# TYPE %s %s\n", f->name, kinds[f->kind]);
        for (l = 0; l < f->lines->nelts; l++) {
            ap_rputs(((const char **)f->lines->elts)[l], r);
            ap_rputc('\n', r);
        }
    }
}
