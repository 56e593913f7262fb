/*
 * sg_daemon.h -- running the daemon process groups from the Apache parent:
 * the startup checks, each group's socket and secret, forking and
 * supervising the daemons, draining them on a graceful restart and
 * stopping them on a stop. Everything it needs of the configuration comes
 * in as arguments: the groups, and sg_daemon_settings for what holds for
 * all of them. Apache's children only ever call sg_daemon_child_init.
 */
#ifndef SG_DAEMON_H
#define SG_DAEMON_H

#include "httpd.h"

#include "sg_group.h"

/* What `swiftgate serve` fixes for its daemons: the one library they serve
 * (a request cannot name another), its callable and application group. */
typedef struct sg_daemon_fixed {
    const char *library;
    const char *callable;          /* NULL: swiftgate_application */
    const char *application_group; /* NULL: the global one */
} sg_daemon_fixed;

/* What every group's daemons share. */
typedef struct sg_daemon_settings {
    /* The start of every socket's path ("PREFIX.PID.GENERATION.N.sock");
     * NULL: DefaultRuntimeDir/swiftgate. */
    const char *socket_prefix;
    /* libSwiftGateDaemon.so; NULL: the one beside mod_swiftgate.so. */
    const char *library;
    /* Every application library a request may name to a daemon,
     * NULL-terminated. */
    const char *const *libraries;
    /* The control socket (swiftgate restart/scale); NULL:
     * PREFIX.control; "": none. */
    const char *control_path;
    /* NULL under Apache. */
    const sg_daemon_fixed *fixed;
} sg_daemon_settings;

/*
 * The startup checks of daemon mode (check_config): the daemon library is
 * a readable shared library, the socket directory is one nobody else can
 * write to, and every group's user and group exist, are not root, and can
 * read the daemon library. Resolves each group's uid, gid, user_name and
 * home. Does nothing when there are no groups.
 * @param p the configuration pool
 * @param s the main server, for the log
 * @param groups the groups (sg_group), as sg_group_all gives them
 * @param settings the daemons' settings; libraries is not looked at
 * @return OK, or HTTP_INTERNAL_SERVER_ERROR after logging why
 */
int sg_daemon_check(apr_pool_t *p, server_rec *s, apr_array_header_t *groups,
                    const sg_daemon_settings *settings);

/*
 * Starts every group's daemons (post_config; nothing in the trial pass
 * before Apache detaches): makes each group's secret, socket and serving
 * flags, forks processes of them and keeps them running until the
 * configuration cycle ends. Takes over the daemons of earlier cycles that
 * are still draining. Call after sg_daemon_check passed.
 * @param pconf the cycle's pool: its cleanup drains (graceful restart) or
 *        stops (stop) this cycle's daemons
 * @param s the main server
 * @param groups the groups (sg_group) with their preload set; they must
 *        live as long as pconf
 * @param settings the daemons' settings; copied, with the strings kept
 * @return OK, or HTTP_INTERNAL_SERVER_ERROR (startup fails) after logging
 */
int sg_daemon_start_all(apr_pool_t *pconf, server_rec *s,
                        apr_array_header_t *groups,
                        const sg_daemon_settings *settings);

/*
 * In an Apache child (child_init): closes every group's listening socket,
 * so that no code running there (another site's embedded application, a
 * scripting module) can accept and answer a group's requests.
 * @param groups the groups (sg_group) passed to sg_daemon_start_all
 */
void sg_daemon_child_init(apr_array_header_t *groups);

/*
 * In the parent, now and then (httpd's monitor hook): logs what the
 * daemons wrote to their standard error.
 */
void sg_daemon_monitor(void);

#endif /* SG_DAEMON_H */
