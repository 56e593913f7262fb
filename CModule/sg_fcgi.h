/*
 * sg_fcgi.h -- daemon mode on the Apache side: forwarding a request to a
 * daemon process group as a FastCGI responder request.
 */
#ifndef SG_FCGI_H
#define SG_FCGI_H

#include "httpd.h"
#include "sg_config.h"
#include "sg_group.h"

/* Serves r by the daemons of group g (a is the mount, d the directory's
 * configuration). */
int sg_fcgi_handle(request_rec *r, const sg_alias *a, const sg_dir_conf *d,
                   sg_group *g);

#endif /* SG_FCGI_H */
