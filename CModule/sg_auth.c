/*
 * sg_auth.c -- access checks answered by the application's AuthProvider:
 * directly through swiftgate_check in embedded mode, through the FastCGI
 * authorizer role in daemon mode (so the user store never loads into
 * Apache's children). A check that fails is an error (500), never a
 * denial; a check that cannot be made because a service the application
 * needs is down (SWIFTGATE_AUTH_UNAVAILABLE: its user store's database) is
 * answered 503.
 *
 * Apache 2.4's mod_auth_basic and mod_authz_core turn a provider's general
 * error into 500 themselves, and ap_send_error_response builds the body
 * from the status it had on entry. So a provider that meets an unavailable
 * store leaves SG_NOTE_UNAVAILABLE in r->notes; when the 500 is sent, the
 * insert_error_filter hook adds SWIFTGATE_UNAVAILABLE, which sets the
 * status to 503 before the header filter sees it and puts Apache's own
 * 503 page (or an ErrorDocument 503 text) in place of the 500 page. An
 * ErrorDocument 500 that is a local URL is followed before any of this
 * (ap_die) and keeps its 500.
 */
#include "sg_auth.h"
#include "sg_cgi.h"
#include "sg_config.h"
#include "sg_fcgi_auth.h"
#include "sg_group.h"
#include "sg_library.h"
#include "sg_log.h"

#include "ap_provider.h"
#include "apr_buckets.h"
#include "http_protocol.h"
#include "util_filter.h"
#include "apr_md5.h"
#include "apr_optional.h"
#include "apr_strings.h"
#include "http_request.h"
#include "mod_core.h"
#include "mod_auth.h"

#include "swiftgate.h"

/* bcrypt cost of what mod_authn_socache keeps for a granted password: the
 * cache is short-lived and in server memory, so a fast hash serves; the
 * application's own (slow) hash stays the authority. */
#define SG_DEFAULT_CACHE_COST 5

/* The r->notes key a provider sets when the store was unavailable. */
#define SG_NOTE_UNAVAILABLE   "swiftgate-auth-unavailable"
#define SG_UNAVAILABLE_FILTER "SWIFTGATE_UNAVAILABLE"

static APR_OPTIONAL_FN_TYPE(ap_authn_cache_store) * cache_store;

typedef struct sg_answer {
    request_rec *r;
    const char *user;
    apr_array_header_t *groups;
} sg_answer;

static void cb_set_user(void *ctx, const char *name, uint64_t len)
{
    sg_answer *a = ctx;

    a->user = apr_pstrmemdup(a->r->pool, name, (apr_size_t)len);
}

static void cb_add_group(void *ctx, const char *name, uint64_t len)
{
    sg_answer *a = ctx;

    *(const char **)apr_array_push(a->groups) =
        apr_pstrmemdup(a->r->pool, name, (apr_size_t)len);
}

static const sg_dir_conf *dir_conf(request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &swiftgate_module);
}

/* Runs one check of the directory d; SWIFTGATE_AUTH_*. */
static int run_check(request_rec *r, const sg_dir_conf *d,
                     const sg_script *script, int kind, const char *user,
                     const char *password, sg_answer *out)
{
    const char *callable =
        script->callable ? script->callable : SWIFTGATE_DEFAULT_CALLABLE;
    const char *group = script->app_group ? script->app_group : "";
    sg_runinfo info;
    sg_pairs env;
    sg_instance *in;
    sg_group *g;
    swiftgate_check_request c;
    int rc;

    memset(out, 0, sizeof(*out));
    out->r = r;
    out->groups = apr_array_make(r->pool, 4, sizeof(char *));
    memset(&info, 0, sizeof(info));
    info.process_group = script->process_group ? script->process_group : "";
    info.application_group = group;
    info.callable = callable;
    info.multithread = sg_cgi_multithread;
    info.multiprocess = sg_cgi_multiprocess;
    /* No Authorization: the password is passed on its own. */
    env = sg_cgi_environ(r, &info, &d->proxy, 0);

    if (sg_config_route(r, info.process_group, 1, &g) != OK) {
        return SWIFTGATE_AUTH_ERROR;
    }
    if (g) {
        return sg_fcgi_auth_check(r, g, script, &env, kind, user, password,
                                  &out->user, out->groups);
    }
    in = sg_library_instance(r->pool, r->server, script->library, callable,
                             group);
    if (in->error || !in->library->check) {
        sg_log_r(
            APLOG_ERR, 0, r, SG_LOGNO(00603), "access check for %s: %s", r->uri,
            in->error ? in->error
                      : apr_psprintf(r->pool, "%s has no %s entry point",
                                     script->library, SWIFTGATE_SYM_CHECK));
        return SWIFTGATE_AUTH_ERROR;
    }
    memset(&c, 0, sizeof(c));
    c.struct_size = sizeof(c);
    c.kind = (uint32_t)kind;
    c.environ = env.items;
    c.environ_count = env.count;
    c.user = user ? user : "";
    c.user_len = strlen(c.user);
    c.password = password ? password : "";
    c.password_len = strlen(c.password);
    c.ctx = out;
    c.set_user = cb_set_user;
    c.add_group = cb_add_group;
    rc = in->library->check(in->app, &c);
    return rc >= SWIFTGATE_AUTH_GRANTED && rc <= SWIFTGATE_AUTH_UNAVAILABLE
               ? rc
               : SWIFTGATE_AUTH_ERROR;
}

/* Marks r so that the 500 its provider's error brings is sent as 503. */
static void note_unavailable(request_rec *r)
{
    apr_table_setn(r->notes, SG_NOTE_UNAVAILABLE, "1");
}

/* A 503 page in the shape of Apache's own error pages, or the text of an
 * ErrorDocument 503 "text". */
static const char *unavailable_page(request_rec *r)
{
    const char *custom = ap_response_code_string(
        r, ap_index_of_response(HTTP_SERVICE_UNAVAILABLE));

    if (custom && custom[0] == '"') {
        return custom + 1;
    }
    return apr_pstrcat(r->pool,
                       "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n"
                       "<html><head>\n<title>503 Service Unavailable</title>\n"
                       "</head><body>\n<h1>Service Unavailable</h1>\n"
                       "<p>Passwords cannot be checked just now: the\n"
                       "site's user store is out of reach. Try again in a\n"
                       "moment.</p>\n",
                       ap_psignature("<hr>\n", r), "</body></html>\n", NULL);
}

/* SWIFTGATE_UNAVAILABLE: turns the 500 page ap_send_error_response is
 * sending into the 503 one. It runs before the header filter, so the
 * status line, Content-Length and body agree. */
static apr_status_t unavailable_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    apr_bucket *b, *next;
    const char *page;

    r->status = HTTP_SERVICE_UNAVAILABLE;
    r->status_line = NULL;
    for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb); b = next) {
        next = APR_BUCKET_NEXT(b);
        if (APR_BUCKET_IS_EOS(b)) {
            if (!r->header_only) {
                page = unavailable_page(r);
                APR_BUCKET_INSERT_BEFORE(
                    b, apr_bucket_pool_create(page, strlen(page), r->pool,
                                              f->c->bucket_alloc));
            }
            ap_remove_output_filter(f);
            break;
        }
        if (!APR_BUCKET_IS_METADATA(b)) {
            apr_bucket_delete(b);
        }
    }
    return ap_pass_brigade(f->next, bb);
}

static void insert_unavailable_filter(request_rec *r)
{
    if (r->status == HTTP_INTERNAL_SERVER_ERROR
        && apr_table_get(r->notes, SG_NOTE_UNAVAILABLE)) {
        ap_add_output_filter(SG_UNAVAILABLE_FILTER, NULL, r, r->connection);
    }
}

/* Lets mod_authn_socache answer the next requests of this user itself. */
static void store_in_cache(request_rec *r, const char *user,
                           const char *password)
{
    unsigned char salt[16];
    char hash[64];

    if (!cache_store || apr_generate_random_bytes(salt, sizeof(salt))
        || apr_bcrypt_encode(password, SG_DEFAULT_CACHE_COST, salt,
                             sizeof(salt), hash, sizeof(hash))) {
        return;
    }
    cache_store(r, "swiftgate", user, NULL, hash);
}

static authn_status check_password(request_rec *r, const char *user,
                                   const char *password)
{
    const sg_dir_conf *d = dir_conf(r);
    sg_answer answer;
    int rc;

    if (!d->auth_user) {
        sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00604),
                 "AuthBasicProvider swiftgate for %s needs "
                 "SwiftGateAuthUserScript",
                 r->uri);
        return AUTH_GENERAL_ERROR;
    }
    rc = run_check(r, d, d->auth_user, SWIFTGATE_CHECK_PASSWORD, user, password,
                   &answer);
    switch (rc) {
        case SWIFTGATE_AUTH_GRANTED:
            if (answer.user && *answer.user) {
                r->user = (char *)answer.user;
            }
            store_in_cache(r, user, password);
            return AUTH_GRANTED;
        case SWIFTGATE_AUTH_DENIED:
            return AUTH_DENIED;
        case SWIFTGATE_AUTH_USER_NOT_FOUND:
            return AUTH_USER_NOT_FOUND;
        case SWIFTGATE_AUTH_UNAVAILABLE:
            sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00611),
                     "checking the password of user '%s' for %s: the "
                     "application's user store is unavailable; answering 503",
                     user, r->uri);
            note_unavailable(r);
            return AUTH_GENERAL_ERROR;
        default:
            sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00605),
                     "checking the password of user '%s' failed", user);
            return AUTH_GENERAL_ERROR;
    }
}

static authz_status check_group(request_rec *r, const char *require_args,
                                const void *parsed)
{
    const sg_dir_conf *d = dir_conf(r);
    const char *args = require_args, *want;
    sg_answer answer;
    int i, rc;

    if (!r->user) {
        return AUTHZ_DENIED_NO_USER;
    }
    if (!d->auth_group) {
        sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00606),
                 "Require swiftgate-group for %s needs "
                 "SwiftGateAuthGroupScript",
                 r->uri);
        return AUTHZ_GENERAL_ERROR;
    }
    rc = run_check(r, d, d->auth_group, SWIFTGATE_CHECK_GROUPS, r->user, NULL,
                   &answer);
    if (rc == SWIFTGATE_AUTH_UNAVAILABLE) {
        sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00612),
                 "finding the groups of user '%s' for %s: the application's "
                 "user store is unavailable; answering 503",
                 r->user, r->uri);
        note_unavailable(r);
        return AUTHZ_GENERAL_ERROR;
    }
    if (rc == SWIFTGATE_AUTH_ERROR) {
        sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00607),
                 "finding the groups of user '%s' failed", r->user);
        return AUTHZ_GENERAL_ERROR;
    }
    if (rc != SWIFTGATE_AUTH_GRANTED) {
        return AUTHZ_DENIED;
    }
    while (*(want = ap_getword_conf(r->pool, &args))) {
        for (i = 0; i < answer.groups->nelts; i++) {
            if (!strcmp(want, ((const char **)answer.groups->elts)[i])) {
                return AUTHZ_GRANTED;
            }
        }
    }
    sg_log_r(APLOG_INFO, 0, r, SG_LOGNO(00608),
             "user '%s' is in none of the required groups (%s)", r->user,
             require_args);
    return AUTHZ_DENIED;
}

static int check_access(request_rec *r)
{
    const sg_dir_conf *d = dir_conf(r);
    sg_answer answer;
    int rc;

    if (!d->access) {
        return DECLINED;
    }
    rc =
        run_check(r, d, d->access, SWIFTGATE_CHECK_ACCESS, NULL, NULL, &answer);
    if (rc == SWIFTGATE_AUTH_GRANTED) {
        return OK;
    }
    if (rc == SWIFTGATE_AUTH_UNAVAILABLE) {
        sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00613),
                 "the access check for %s could not be made: a service the "
                 "application needs is unavailable; answering 503",
                 r->uri);
        return HTTP_SERVICE_UNAVAILABLE;
    }
    if (rc == SWIFTGATE_AUTH_ERROR) {
        sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00609),
                 "the access check for %s failed", r->uri);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00610),
             "client denied by SwiftGateAccessScript: %s", r->uri);
    return HTTP_FORBIDDEN;
}

static void retrieve_optional(void)
{
    cache_store = APR_RETRIEVE_OPTIONAL_FN(ap_authn_cache_store);
}

static const authn_provider authn = {&check_password, NULL};
static const authz_provider authz_group = {&check_group, NULL};

void sg_auth_register(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHN_PROVIDER_GROUP, "swiftgate",
                              AUTHN_PROVIDER_VERSION, &authn,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "swiftgate-group",
                              AUTHZ_PROVIDER_VERSION, &authz_group,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_check_access(check_access, NULL, NULL, APR_HOOK_MIDDLE,
                         AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_optional_fn_retrieve(retrieve_optional, NULL, NULL,
                                 APR_HOOK_MIDDLE);
    ap_register_output_filter(SG_UNAVAILABLE_FILTER, unavailable_filter, NULL,
                              AP_FTYPE_CONTENT_SET);
    ap_hook_insert_error_filter(insert_unavailable_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
}
