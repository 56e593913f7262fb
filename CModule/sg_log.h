/*
 * sg_log.h -- logging for mod_swiftgate: one module log number per message,
 * printf-checked wrappers around httpd's log calls.
 */
#ifndef SG_LOG_H
#define SG_LOG_H

#include "httpd.h"
#include "http_log.h"

/* Module log numbers, as httpd's AH numbers: SG00001 and up. */
#define SG_LOGNO(n) "SG" #n ": "

/* mod_swiftgate.c declares the module itself (AP_DECLARE_MODULE). */
#ifndef SG_MODULE_MAIN
APLOG_USE_MODULE(swiftgate);
#endif

/* sg_log_r(level, status, r, SG_LOGNO(n), "format", ...): the log number is
 * pasted in front of the format, which httpd checks like printf's. A line
 * without a number passes "" as logno. */
#define sg_log_r(level, status, r, logno, ...)                                 \
    ap_log_rerror(APLOG_MARK, (level), (status), (r), logno __VA_ARGS__)
#define sg_log_s(level, status, s, logno, ...)                                 \
    ap_log_error(APLOG_MARK, (level), (status), (s), logno __VA_ARGS__)

#endif /* SG_LOG_H */
