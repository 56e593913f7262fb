/*
 * sg_library.c -- opening application libraries in a child process, checking
 * their ABI, and starting application instances.
 */
#include "sg_library.h"
#include "sg_log.h"

#include "apr_hash.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"

#include <dlfcn.h>
#include <sys/stat.h>

/* Room for the runtime's message when an application fails to start. */
#define SG_START_ERROR_LEN 1024

static apr_pool_t *child_pool;
static apr_thread_mutex_t *lock; /* guards both tables */
static apr_hash_t *libraries;    /* path -> sg_library */
static apr_hash_t *instances;    /* path\0callable\0group -> sg_instance */
static swiftgate_host host;

const char *sg_library_check_file(apr_pool_t *p, const char *path)
{
    apr_finfo_t finfo;
    apr_file_t *f;
    char magic[4];
    apr_size_t n = sizeof(magic);
    apr_status_t rv;

    rv = apr_stat(&finfo, path, APR_FINFO_TYPE, p);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(p, "library %s not found", path);
    }
    if (finfo.filetype != APR_REG) {
        return apr_psprintf(p, "library %s is not a regular file", path);
    }
    rv = apr_file_open(&f, path, APR_FOPEN_READ, 0, p);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(p, "library %s cannot be read: %pm", path, &rv);
    }
    rv = apr_file_read_full(f, magic, n, &n);
    apr_file_close(f);
    if (rv != APR_SUCCESS || memcmp(magic, "\177ELF", 4)) {
        return apr_psprintf(p, "%s is not a shared library (no ELF header)",
                            path);
    }
    return NULL;
}

static int may(const struct stat *st, uid_t uid, gid_t gid, int bits)
{
    if (st->st_uid == uid) {
        return (st->st_mode & (bits << 6)) == (mode_t)(bits << 6);
    }
    if (st->st_gid == gid) {
        return (st->st_mode & (bits << 3)) == (mode_t)(bits << 3);
    }
    return (st->st_mode & bits) == (mode_t)bits;
}

const char *sg_library_check_access(apr_pool_t *p, const char *path, uid_t uid,
                                    gid_t gid)
{
    char *dir = apr_pstrdup(p, path);
    char *slash;
    struct stat st;

    if (stat(path, &st) != 0 || !may(&st, uid, gid, 4)) {
        return apr_psprintf(p, "library %s is not readable", path);
    }
    while ((slash = strrchr(dir, '/')) != NULL) {
        *slash = '\0';
        if (!*dir) {
            break;
        }
        if (stat(dir, &st) != 0 || !may(&st, uid, gid, 1)) {
            return apr_psprintf(p,
                                "directory %s (above library %s) is not "
                                "searchable",
                                dir, path);
        }
    }
    return NULL;
}

static void host_log(void *ctx, int32_t level, const char *msg, uint64_t len)
{
    server_rec *s = ctx;

    if (level < APLOG_EMERG || level > APLOG_DEBUG) {
        level = APLOG_ERR;
    }
    sg_log_s(level, 0, s, "", "%.*s", (int)len, msg);
}

/* How long the applications' shutdown may take, all together, when a child
 * exits. */
#define SG_STOP_TIMEOUT_MS 5000

/* Stops every started instance when the child exits (its pool's cleanup):
 * their services and pools end in order instead of with the process. */
static apr_status_t stop_instances(void *data)
{
    apr_hash_index_t *hi;
    apr_time_t deadline =
        apr_time_now() + apr_time_from_msec(SG_STOP_TIMEOUT_MS);

    for (hi = apr_hash_first(NULL, instances); hi; hi = apr_hash_next(hi)) {
        sg_instance *in = apr_hash_this_val(hi);
        apr_time_t left = deadline - apr_time_now();

        if (in->app && in->library->stop) {
            in->library->stop(in->app,
                              left > 0 ? (uint32_t)apr_time_as_msec(left) : 0);
            in->app = NULL;
        }
    }
    return APR_SUCCESS;
}

swiftgate_host *sg_library_host(void)
{
    return &host;
}

apr_status_t sg_library_child_init(apr_pool_t *p, server_rec *s)
{
    child_pool = p;
    libraries = apr_hash_make(p);
    instances = apr_hash_make(p);
    host.abi_version = SWIFTGATE_ABI_VERSION;
    host.struct_size = sizeof(host);
    host.ctx = s;
    host.log = host_log;
    host.log_level = ap_get_server_module_loglevel(s, APLOG_MODULE_INDEX);
    apr_pool_cleanup_register(p, NULL, stop_instances, apr_pool_cleanup_null);
    return apr_thread_mutex_create(&lock, APR_THREAD_MUTEX_DEFAULT, p);
}

/* Opens path and checks its ABI; with lock held. */
static sg_library *open_library(server_rec *s, const char *path)
{
    sg_library *lib = apr_hash_get(libraries, path, APR_HASH_KEY_STRING);
    swiftgate_abi_version_fn abi;
    uint32_t version;

    if (lib) {
        return lib;
    }
    lib = apr_pcalloc(child_pool, sizeof(*lib));
    lib->path = apr_pstrdup(child_pool, path);
    apr_hash_set(libraries, lib->path, APR_HASH_KEY_STRING, lib);

    /* Never unloaded: Swift runtimes do not survive dlclose. */
    lib->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!lib->handle) {
        lib->error =
            apr_psprintf(child_pool, "cannot load %s: %s", path, dlerror());
    }
    else if (!(abi = (swiftgate_abi_version_fn)dlsym(
                   lib->handle, SWIFTGATE_SYM_ABI_VERSION))) {
        lib->error = apr_psprintf(child_pool,
                                  "%s is not a SwiftGate application "
                                  "library: it has no %s symbol (does it "
                                  "link the SwiftGate product?)",
                                  path, SWIFTGATE_SYM_ABI_VERSION);
    }
    else if ((version = abi()) != SWIFTGATE_ABI_VERSION) {
        lib->error = apr_psprintf(child_pool,
                                  "%s was built for SwiftGate ABI version "
                                  "%u but this mod_swiftgate speaks ABI "
                                  "version %u: rebuild the application "
                                  "against the matching SwiftGate",
                                  path, version, SWIFTGATE_ABI_VERSION);
    }
    else if (!(lib->start =
                   (swiftgate_start_fn)dlsym(lib->handle, SWIFTGATE_SYM_START))
             || !(lib->handle_request = (swiftgate_handle_fn)dlsym(
                      lib->handle, SWIFTGATE_SYM_HANDLE))) {
        lib->error =
            apr_psprintf(child_pool, "%s lacks the %s or %s entry point", path,
                         SWIFTGATE_SYM_START, SWIFTGATE_SYM_HANDLE);
    }
    if (lib->error) {
        sg_log_s(APLOG_ERR, 0, s, SG_LOGNO(00201), "%s", lib->error);
    }
    else {
        lib->check =
            (swiftgate_check_fn)dlsym(lib->handle, SWIFTGATE_SYM_CHECK);
        lib->stop = (swiftgate_stop_fn)dlsym(lib->handle, SWIFTGATE_SYM_STOP);
    }
    return lib;
}

/* Starts an instance; with lock held. */
static void start_instance(server_rec *s, sg_instance *in)
{
    swiftgate_callable_fn callable;
    swiftgate_app_info info;
    char errbuf[SG_START_ERROR_LEN] = "";
    void *exported;

    if (in->library->error) {
        in->error = in->library->error;
        return;
    }
    callable = (swiftgate_callable_fn)dlsym(in->library->handle, in->callable);
    if (!callable) {
        in->error = apr_psprintf(child_pool,
                                 "callable object '%s' not found in %s "
                                 "(declare it with @_cdecl(\"%s\"))",
                                 in->callable, in->library->path, in->callable);
        sg_log_s(APLOG_ERR, 0, s, SG_LOGNO(00202), "%s", in->error);
        return;
    }
    exported = callable();
    memset(&info, 0, sizeof(info));
    info.struct_size = sizeof(info);
    info.library_path = in->library->path;
    info.callable = in->callable;
    info.application_group = in->app_group;
    info.process_group = "";
    info.host = &host;
    in->app = in->library->start(exported, &info, errbuf, sizeof(errbuf));
    if (!in->app) {
        in->error = apr_psprintf(child_pool,
                                 "application '%s' in %s failed "
                                 "to start: %s",
                                 in->callable, in->library->path, errbuf);
        sg_log_s(APLOG_ERR, 0, s, SG_LOGNO(00203), "%s", in->error);
    }
    else {
        sg_log_s(APLOG_INFO, 0, s, SG_LOGNO(00204),
                 "started application '%s' from %s (group '%s')", in->callable,
                 in->library->path, in->app_group);
    }
}

sg_instance *sg_library_instance(apr_pool_t *p, server_rec *s, const char *path,
                                 const char *callable, const char *group)
{
    const char *key;
    apr_size_t klen;
    sg_instance *in;

    key = apr_pstrcat(p, path, "\n", callable, "\n", group, NULL);
    klen = strlen(key);

    apr_thread_mutex_lock(lock);
    in = apr_hash_get(instances, key, klen);
    if (!in) {
        in = apr_pcalloc(child_pool, sizeof(*in));
        in->callable = apr_pstrdup(child_pool, callable);
        in->app_group = apr_pstrdup(child_pool, group);
        in->library = open_library(s, path);
        start_instance(s, in);
        apr_hash_set(instances, apr_pstrmemdup(child_pool, key, klen), klen,
                     in);
    }
    apr_thread_mutex_unlock(lock);
    return in;
}
