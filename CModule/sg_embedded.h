/*
 * sg_embedded.h -- embedded mode: serving a request by calling the
 * application's library on the Apache worker thread.
 */
#ifndef SG_EMBEDDED_H
#define SG_EMBEDDED_H

#include "httpd.h"
#include "sg_config.h"

/* Serves r with the application mounted by alias a. */
int sg_embedded_handle(request_rec *r, const sg_alias *a, const sg_dir_conf *d);

/* Child: sets the embedded settings, opens the libraries and starts the
 * applications every mount names, so the first requests do not wait. */
void sg_embedded_child_init(apr_pool_t *p, server_rec *s);

#endif /* SG_EMBEDDED_H */
