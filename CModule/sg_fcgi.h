/*
 * sg_fcgi.h -- daemon mode on the Apache side: forwarding a request to a
 * daemon process group as a FastCGI responder request.
 */
#ifndef SG_FCGI_H
#define SG_FCGI_H

#include "httpd.h"

#include "sg_config.h"
#include "sg_group.h"

/*
 * Serves a request by the daemons of a group: its environ as PARAMS, its
 * body as STDIN while the response streams back, over a connection this
 * thread kept from an earlier request when the method is safe to repeat.
 * @param r the request
 * @param a the mount it falls under
 * @param d the directory's configuration
 * @param g the daemon group, as sg_config_route found it
 * @return OK once the response went out, or the status for Apache to
 *         answer with (502, 503, 504; a daemon's own error status)
 */
int sg_fcgi_handle(request_rec *r, const sg_alias *a, const sg_dir_conf *d,
                   sg_group *g);

#endif /* SG_FCGI_H */
