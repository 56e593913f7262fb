/*
 * sg_auth.h -- Apache's access checks answered by the application:
 * AuthBasicProvider swiftgate, Require swiftgate-group, and
 * SwiftGateAccessScript host checks.
 */
#ifndef SG_AUTH_H
#define SG_AUTH_H

#include "httpd.h"

/* Registers the providers and the access hook. */
void sg_auth_register(apr_pool_t *p);

#endif /* SG_AUTH_H */
