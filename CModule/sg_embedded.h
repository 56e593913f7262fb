/*
 * sg_embedded.h -- embedded mode: serving a request by calling the
 * application's library on the Apache worker thread.
 */
#ifndef SG_EMBEDDED_H
#define SG_EMBEDDED_H

#include "httpd.h"
#include "sg_config.h"

/*
 * Serves a request by calling its application on this thread: the ABI's
 * callbacks read the body from the input filters and stream the response
 * to the output filters.
 * @param r the request
 * @param a the mount it falls under
 * @param d the directory's configuration
 * @return OK once the response went out, or the status for Apache to
 *         answer with when none did (the application's, or 500)
 */
int sg_embedded_handle(request_rec *r, const sg_alias *a, const sg_dir_conf *d);

/*
 * In an Apache child (child_init), unless SwiftGateRestrictEmbedded is On:
 * sets the embedded settings file, opens the libraries and starts the
 * applications every embedded mount names, so that the first requests do
 * not wait; records each mount's instance in the mount.
 * @param p the child's pool
 * @param s the main server
 */
void sg_embedded_child_init(apr_pool_t *p, server_rec *s);

#endif /* SG_EMBEDDED_H */
