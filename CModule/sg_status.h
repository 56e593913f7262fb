/*
 * sg_status.h -- `SetHandler swiftgate-status`: the scoreboard as an HTML
 * page (?refresh=N reloads it), as JSON (?json) and in the Prometheus text
 * format (?metrics). Access is the configuration's business (Require), as
 * for server-status.
 */
#ifndef SG_STATUS_H
#define SG_STATUS_H

#include "httpd.h"

/* The handler name that asks for the status page. */
#define SG_STATUS_HANDLER "swiftgate-status"

/*
 * The handler hook: DECLINED for any other handler.
 * @param r the request
 * @return OK after writing the page, DECLINED, or an HTTP status
 */
int sg_status_handler(request_rec *r);

#endif /* SG_STATUS_H */
