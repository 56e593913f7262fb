/*
 * sg_library.h -- application libraries: checked as files at configuration
 * time (the Apache parent never loads Swift), opened in each child, and
 * started as application instances there.
 */
#ifndef SG_LIBRARY_H
#define SG_LIBRARY_H

#include "httpd.h"
#include "swiftgate.h"

/* An opened library (one per path per process, never unloaded). */
typedef struct sg_library {
    const char *path;
    void *handle;
    swiftgate_start_fn start;
    swiftgate_handle_fn handle_request;
    swiftgate_check_fn check; /* NULL: answers no access checks */
    swiftgate_stop_fn stop;   /* NULL: built before swiftgate_stop */
    const char *error;        /* why it cannot be used, or NULL */
} sg_library;

/* A started application: (library, callable object, application group). */
typedef struct sg_instance {
    sg_library *library;
    const char *callable;
    const char *app_group;
    void *app;         /* the runtime's handle */
    const char *error; /* why it did not start, or NULL */
} sg_instance;

/*
 * Checks a library as a file, at configuration time; loads nothing.
 * @param p for the message
 * @param path the library
 * @return NULL when path is a readable regular file with an ELF header,
 *         else why not
 */
const char *sg_library_check_file(apr_pool_t *p, const char *path);

/*
 * Checks that a user could load a library, by the permission bits of the
 * file (read) and of every directory above it (search).
 * @param p for the message
 * @param path the library, absolute
 * @param uid the user
 * @param gid the user's group
 * @return NULL when they can, else why not
 */
const char *sg_library_check_access(apr_pool_t *p, const char *path, uid_t uid,
                                    gid_t gid);

/*
 * In an Apache child: makes the per-process tables of libraries and
 * instances, and the host services applications log through.
 * @param p the child's pool, which holds the tables
 * @param s the main server (applications log to it)
 * @return APR_SUCCESS, or why the tables' lock could not be made
 */
apr_status_t sg_library_child_init(apr_pool_t *p, server_rec *s);

/*
 * The host services this child's applications get (after
 * sg_library_child_init), for others to add theirs before any starts.
 */
swiftgate_host *sg_library_host(void);

/*
 * The started application for (library, callable object, application
 * group) in this process: opens the library and starts the application on
 * first use (under a lock), then returns the same instance every time.
 * @param p for the lookup (what is kept goes to the child's pool)
 * @param s the server, for the log
 * @param path the library
 * @param callable the callable object's symbol
 * @param group the application group ("" is %{GLOBAL})
 * @return the instance, never NULL; its error says why it cannot serve
 */
sg_instance *sg_library_instance(apr_pool_t *p, server_rec *s, const char *path,
                                 const char *callable, const char *group);

#endif /* SG_LIBRARY_H */
