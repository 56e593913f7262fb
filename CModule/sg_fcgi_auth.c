/*
 * sg_fcgi_auth.c -- access checks in daemon mode, through the FastCGI
 * authorizer role: the request's environ and the check's own variables go
 * to the group's socket as PARAMS, and the answer's head lines carry the
 * status, the canonical user name and the user's groups.
 */
#include "sg_fcgi_auth.h"
#include "sg_fcgi_conn.h"
#include "sg_log.h"

#include "apr_strings.h"

#include "swiftgate.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

static void add_param(sg_pairs *env, const char *name, const char *value)
{
    apr_size_t i;
    swiftgate_pair *p = NULL;

    for (i = 0; i < env->count && !p; i++) {
        if (!strcmp(env->items[i].name, name)) {
            p = &env->items[i];
        }
    }
    if (!p) {
        p = &env->items[env->count++];
    }
    p->name = name;
    p->name_len = strlen(name);
    p->value = value;
    p->value_len = strlen(value);
}

/* Reads the authorizer's answer: its head lines, until END_REQUEST. */
static int authorizer_exchange(sg_fcgi_conn *f)
{
    apr_interval_time_t timeout = f->g->request_timeout ? f->g->request_timeout
                                  : f->g->socket_timeout
                                      ? f->g->socket_timeout
                                      : f->r->server->timeout;
    apr_time_t deadline = f->started + timeout;

    while (!f->ended) {
        struct pollfd p;
        apr_interval_time_t wait = deadline - apr_time_now();
        int writing = f->pending_off < f->pending_len, n;

        if (wait <= 0) {
            return HTTP_GATEWAY_TIME_OUT;
        }
        p.fd = f->fd;
        p.events = writing ? POLLOUT : POLLIN;
        p.revents = 0;
        n = poll(&p, 1, (int)apr_time_as_msec(wait) + 1);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) {
                continue;
            }
            return HTTP_GATEWAY_TIME_OUT;
        }
        if (writing) {
            ssize_t w = write(f->fd, f->pending + f->pending_off,
                              f->pending_len - f->pending_off);
            if (w < 0 && errno != EAGAIN && errno != EINTR) {
                return HTTP_BAD_GATEWAY;
            }
            f->pending_off += w > 0 ? (apr_size_t)w : 0;
            continue;
        }
        {
            ssize_t got = read(f->fd, f->rbuf + f->rlen,
                               SG_FCGI_CONN_READ_BUFFER - f->rlen);
            apr_size_t off = 0;
            sg_proto_record rec;
            int found;

            if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
                continue;
            }
            if (got <= 0) {
                return HTTP_BAD_GATEWAY;
            }
            f->rlen += (apr_size_t)got;
            while ((found = sg_proto_next_record((const unsigned char *)f->rbuf,
                                                 f->rlen, &off, &rec))
                   != SG_PROTO_PARTIAL) {
                if (found == SG_PROTO_BAD_VERSION) {
                    return HTTP_BAD_GATEWAY;
                }
                if (rec.type == SWIFTGATE_FCGI_STDOUT) {
                    if (f->head_len + rec.content_len >= SG_MAX_RESPONSE_HEAD) {
                        return HTTP_BAD_GATEWAY;
                    }
                    memcpy(f->head + f->head_len, rec.content, rec.content_len);
                    f->head_len += rec.content_len;
                }
                else if (rec.type == SWIFTGATE_FCGI_END_REQUEST) {
                    f->ended = 1;
                }
            }
            memmove(f->rbuf, f->rbuf + off, f->rlen - off);
            f->rlen -= off;
        }
    }
    f->head[f->head_len] = '\0';
    return OK;
}

int sg_fcgi_auth_check(request_rec *r, sg_group *g, const sg_script *script,
                       const sg_pairs *environ, int kind, const char *user,
                       const char *password, const char **canonical,
                       apr_array_header_t *groups)
{
    sg_fcgi_conn f;
    sg_pairs env;
    char *line, *state;
    int status = 0, rc;

    sg_fcgi_conn_init(&f, r, g);
    env.items =
        apr_palloc(r->pool, sizeof(swiftgate_pair) * (environ->count + 6));
    memcpy(env.items, environ->items, sizeof(swiftgate_pair) * environ->count);
    env.count = environ->count;
    add_param(&env, "SCRIPT_FILENAME", script->library);
    add_param(&env, "FCGI_ROLE", "AUTHORIZER");
    add_param(&env, "FCGI_APACHE_ROLE",
              kind == SWIFTGATE_CHECK_PASSWORD ? "AUTHENTICATOR"
                                               : "AUTHORIZER");
    if (user) {
        add_param(&env, "REMOTE_USER", user);
    }
    if (password) {
        add_param(&env, "REMOTE_PASSWD", password);
    }
    add_param(&env, SWIFTGATE_PARAM_CHECK,
              kind == SWIFTGATE_CHECK_GROUPS   ? "groups"
              : kind == SWIFTGATE_CHECK_ACCESS ? "access"
                                               : "password");
    sg_fcgi_conn_put_params(&f, &env, SWIFTGATE_FCGI_AUTHORIZER, 0);
    sg_fcgi_conn_put_record(&f, SWIFTGATE_FCGI_STDIN, NULL, 0);
    if (sg_fcgi_conn_connect(&f) != OK) {
        return SWIFTGATE_AUTH_ERROR;
    }
    rc = authorizer_exchange(&f);
    close(f.fd);
    if (rc != OK) {
        sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00511),
                 "daemon group '%s' did not answer an access check (%d)",
                 g->name, rc);
        return SWIFTGATE_AUTH_ERROR;
    }
    for (line = apr_strtok(f.head, "\r\n", &state); line;
         line = apr_strtok(NULL, "\r\n", &state)) {
        char *colon = strchr(line, ':');
        const char *value;

        if (!colon) {
            continue;
        }
        *colon = '\0';
        value = colon + 1;
        while (*value == ' ' || *value == '\t') {
            value++;
        }
        if (!strcasecmp(line, "Status")) {
            status = atoi(value);
        }
        else if (!strcasecmp(line, "Variable-REMOTE_USER") && canonical) {
            *canonical = apr_pstrdup(r->pool, value);
        }
        else if (!strcasecmp(line, "Variable-" SWIFTGATE_GROUPS_VARIABLE)
                 && groups) {
            char *copy = apr_pstrdup(r->pool, value), *g_state, *name;

            for (name = apr_strtok(copy, ",", &g_state); name;
                 name = apr_strtok(NULL, ",", &g_state)) {
                *(const char **)apr_array_push(groups) = name;
            }
        }
    }
    switch (status) {
        case 200:
            return SWIFTGATE_AUTH_GRANTED;
        case 401:
        case 403:
            return SWIFTGATE_AUTH_DENIED;
        case 404:
            return SWIFTGATE_AUTH_USER_NOT_FOUND;
        case 503:
            /* The application's store is down, or no worker was free in
             * time: the request gets 503 as well (logged by sg_auth.c). */
            return SWIFTGATE_AUTH_UNAVAILABLE;
        default:
            sg_log_r(APLOG_ERR, 0, r, SG_LOGNO(00512),
                     "daemon group '%s' answered an access check with "
                     "status %d",
                     g->name, status);
            return SWIFTGATE_AUTH_ERROR;
    }
}
