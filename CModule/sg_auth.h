/*
 * sg_auth.h -- Apache's access checks answered by the application:
 * AuthBasicProvider swiftgate, Require swiftgate-group, and
 * SwiftGateAccessScript host checks.
 */
#ifndef SG_AUTH_H
#define SG_AUTH_H

#include "httpd.h"

/*
 * Registers the auth providers "swiftgate" (AuthBasicProvider) and
 * "swiftgate-group" (Require), and the access hook of
 * SwiftGateAccessScript (register_hooks).
 * @param p the pool register_hooks was given
 */
void sg_auth_register(apr_pool_t *p);

#endif /* SG_AUTH_H */
