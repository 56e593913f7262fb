/*
 * sg_fcgi.h -- daemon mode on the Apache side: forwarding a request to a
 * daemon process group as a FastCGI responder request.
 */
#ifndef SG_FCGI_H
#define SG_FCGI_H

#include "httpd.h"
#include "sg_cgi.h"
#include "sg_config.h"
#include "sg_group.h"

/* Serves r by the daemons of group g (a is the mount, d the directory's
 * configuration). */
int sg_fcgi_handle(request_rec *r, const sg_alias *a, const sg_dir_conf *d,
                   sg_group *g);

/* Asks group g an access check (SWIFTGATE_CHECK_*) through the FastCGI
 * authorizer role; returns SWIFTGATE_AUTH_*. canonical and groups receive
 * what a granted answer carries. */
int sg_fcgi_check(request_rec *r, sg_group *g, const sg_script *script,
                  const sg_pairs *environ, int kind, const char *user,
                  const char *password, const char **canonical,
                  apr_array_header_t *groups);

#endif /* SG_FCGI_H */
