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

/* Configuration time: an error message, or NULL when path is a readable
 * regular ELF file. Loads nothing. */
const char *sg_library_check_file(apr_pool_t *p, const char *path);

/* Configuration time: an error message, or NULL when uid/gid can reach and
 * read path (owner, group and other permission bits). */
const char *sg_library_check_access(apr_pool_t *p, const char *path, uid_t uid,
                                    gid_t gid);

/* Child: prepares the per-process tables. */
apr_status_t sg_library_child_init(apr_pool_t *p, server_rec *s);

/* Child: the instance for (path, callable, group), opening the library and
 * starting the application on first use. Never NULL; check ->error. */
sg_instance *sg_library_instance(apr_pool_t *p, server_rec *s, const char *path,
                                 const char *callable, const char *group);

#endif /* SG_LIBRARY_H */
