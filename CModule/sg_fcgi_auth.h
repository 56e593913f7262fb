/*
 * sg_fcgi_auth.h -- access checks in daemon mode: asking a daemon process
 * group through the FastCGI authorizer role.
 */
#ifndef SG_FCGI_AUTH_H
#define SG_FCGI_AUTH_H

#include "httpd.h"

#include "sg_cgi.h"
#include "sg_config.h"
#include "sg_group.h"

/*
 * Asks a daemon group an access check, as mod_authnz_fcgi asks an
 * authorizer (see swiftgate.h).
 * @param r the request being checked
 * @param g the daemon group, as sg_config_route found it
 * @param script the check's script; its library is the application asked
 * @param environ the request's CGI variables, without Authorization
 * @param kind SWIFTGATE_CHECK_PASSWORD, _GROUPS or _ACCESS
 * @param user the user (PASSWORD, GROUPS), or NULL
 * @param password the password (PASSWORD), or NULL
 * @param canonical out, or NULL: the user's canonical name when a granted
 *        password check names one
 * @param groups out, or NULL: the user's groups (const char *) when a
 *        groups check is granted
 * @return SWIFTGATE_AUTH_GRANTED, _DENIED, _USER_NOT_FOUND, _UNAVAILABLE
 *         (the daemon answered 503), or _ERROR (logged) when the daemon
 *         could not be asked or answered wrongly
 */
int sg_fcgi_auth_check(request_rec *r, sg_group *g, const sg_script *script,
                       const sg_pairs *environ, int kind, const char *user,
                       const char *password, const char **canonical,
                       apr_array_header_t *groups);

#endif /* SG_FCGI_AUTH_H */
