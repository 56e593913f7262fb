/*
 * sg_httpd_host.c -- the few parts of httpd that the daemon supervision
 * (sg_daemon*.c, sg_scoreboard.c, sg_crash.c, sg_group.c, sg_options.c)
 * calls, for swiftgate-supervise, which runs that same code outside
 * Apache: log lines on standard error, the user the daemons run as, and
 * the server's state. Nothing here serves HTTP.
 */
#include "httpd.h"
#include "ap_listen.h"
#include "ap_mpm.h"
#include "http_config.h"
#include "http_core.h"
#include "apr_strings.h"
#include "http_log.h"
#include "scoreboard.h"
#include "unixd.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* The module record the shared code logs under (APLOG_USE_MODULE). */
module AP_MODULE_DECLARE_DATA swiftgate_module = {STANDARD20_MODULE_STUFF};

/* Filled in by the supervisor before any group starts. */
unixd_config_rec ap_unixd_config;

/* No HTTP scoreboard outside Apache. */
scoreboard *ap_scoreboard_image = NULL;

static const char *const level_names[] = {"emerg", "alert",  "crit", "error",
                                          "warn",  "notice", "info", "debug"};

/* One line: "[time] [swiftgate:level] [pid N] message (status text)". */
static void log_line(apr_file_t *file, int level, apr_status_t status,
                     const char *fmt, va_list ap)
{
    char line[8192], when[64], errbuf[256];
    struct timespec now;
    struct tm tm;
    apr_size_t len;
    int n;

    level &= APLOG_LEVELMASK;
    clock_gettime(CLOCK_REALTIME, &now);
    localtime_r(&now.tv_sec, &tm);
    strftime(when, sizeof(when), "%a %b %d %H:%M:%S", &tm);
    n = snprintf(line, sizeof(line), "[%s.%06ld %d] [swiftgate:%s] [pid %ld] ",
                 when, now.tv_nsec / 1000, tm.tm_year + 1900,
                 level_names[level > APLOG_DEBUG ? APLOG_DEBUG : level],
                 (long)getpid());
    len = n > 0 ? (apr_size_t)n : 0;
    n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
    len = n < 0                                 ? len
          : (apr_size_t)n >= sizeof(line) - len ? sizeof(line) - 1
                                                : len + (apr_size_t)n;
    if (status && len < sizeof(line) - 1) {
        n = snprintf(line + len, sizeof(line) - len, " (%s)",
                     apr_strerror(status, errbuf, sizeof(errbuf)));
        len = n < 0                                 ? len
              : (apr_size_t)n >= sizeof(line) - len ? sizeof(line) - 1
                                                    : len + (apr_size_t)n;
    }
    if (len >= sizeof(line) - 1) {
        len = sizeof(line) - 2;
    }
    line[len++] = '\n';
    apr_file_write_full(file, line, len, NULL);
}

void ap_log_error_(const char *file, int line, int module_index, int level,
                   apr_status_t status, const server_rec *s, const char *fmt,
                   ...)
{
    va_list ap;

    if (!s || !s->error_log) {
        return;
    }
    va_start(ap, fmt);
    log_line(s->error_log, level, status, fmt, ap);
    va_end(ap);
}

void ap_log_rerror_(const char *file, int line, int module_index, int level,
                    apr_status_t status, const request_rec *r, const char *fmt,
                    ...)
{
    va_list ap;

    if (!r || !r->server || !r->server->error_log) {
        return;
    }
    va_start(ap, fmt);
    log_line(r->server->error_log, level, status, fmt, ap);
    va_end(ap);
}

int ap_state_query(int query)
{
    return query == AP_SQ_MAIN_STATE ? AP_SQ_MS_RUN_MPM : AP_SQ_NOT_SUPPORTED;
}

void ap_close_listeners(void)
{
    /* The supervisor holds no HTTP listeners. */
}

apr_status_t ap_mpm_query(int query_code, int *result)
{
    *result = 0;
    return APR_ENOTIMPL;
}

char *ap_server_root_relative(apr_pool_t *p, const char *fname)
{
    char *path = NULL;

    /* Relative paths are relative to the directory the supervisor started
     * in (swiftgate serve passes absolute ones). */
    if (apr_filepath_merge(&path, NULL, fname, APR_FILEPATH_TRUENAME, p)
        != APR_SUCCESS) {
        return NULL;
    }
    return path;
}

char *ap_runtime_dir_relative(apr_pool_t *p, const char *fname)
{
    return ap_server_root_relative(p, fname);
}

char *ap_escape_logitem(apr_pool_t *p, const char *str)
{
    char *out, *o;

    if (!str) {
        return NULL;
    }
    out = o = apr_palloc(p, 4 * strlen(str) + 1);
    for (; *str; str++) {
        unsigned char c = (unsigned char)*str;
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            o += sprintf(o, "\\x%02x", c);
        }
        else {
            *o++ = (char)c;
        }
    }
    *o = '\0';
    return out;
}
