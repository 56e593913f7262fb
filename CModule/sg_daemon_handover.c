/*
 * sg_daemon_handover.c -- the daemons of earlier configurations: on a
 * graceful restart a group hands its socket, secret and running processes
 * to the next configuration's group of the same name (which replaces them
 * by a rolling restart), and processes no group takes drain: they finish
 * their requests and exit, still reaped and read by the parent. What must
 * outlive a configuration cycle lives in the process pool.
 */
#include "sg_daemon_private.h"
#include "sg_log.h"

#include "apr_atomic.h"
#include "apr_strings.h"
#include "unixd.h"

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* Daemons of earlier configurations still finishing their requests; past
 * this many, the oldest are no longer tracked (they still exit on their
 * own when their graceful-timeout ends). */
#define SG_MAX_DRAINING 256

/* What must outlive a configuration cycle, and the module itself (httpd
 * unloads and reloads modules on restart): plain data in the process pool.
 * Daemons of an old generation keep serving the old Apache children until
 * they are idle; the socket goes when the last of them has exited. */
typedef struct sg_draining {
    pid_t pid;
    unsigned generation;
    /* Its standard error, still read while it drains. */
    sg_crash_output output;
    char group[64];
    char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
} sg_draining;

/* Groups a graceful restart hands to the next configuration, each with the
 * processes it had running; past these, groups drain as before. */
#define SG_MAX_HANDOVER      64
#define SG_MAX_HANDOVER_PIDS 64

/* A group's socket, secret and running processes, kept open across a
 * graceful restart: the next configuration's group of the same name takes
 * them over and replaces the processes by a rolling restart, so that a
 * replacement that fails leaves the old ones serving the new Apache
 * children too. */
struct sg_handover {
    char name[128]; /* "" when the entry is free */
    int listen_fd;
    uid_t owner; /* Apache's User, who owns the socket */
    dev_t dev;   /* the socket file as bound */
    ino_t ino;
    char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char secret[2 * SG_SECRET_BYTES + 1];
    int npids;
    pid_t pids[SG_MAX_HANDOVER_PIDS];
    int outputs[SG_MAX_HANDOVER_PIDS]; /* their output pipes, -1 none */
};

typedef struct sg_persist {
    unsigned generation;
    sg_draining draining[SG_MAX_DRAINING];
    sg_handover handover[SG_MAX_HANDOVER];
} sg_persist;

static sg_persist *persist;
static int generation_alive(unsigned generation, const char *path)
{
    int i;

    for (i = 0; i < SG_MAX_DRAINING; i++) {
        sg_draining *e = &persist->draining[i];
        if (e->pid > 0 && e->generation == generation
            && !strcmp(e->socket_path, path)) {
            return 1;
        }
    }
    return 0;
}

/* A draining daemon of an earlier generation ended. */
static void drained_event(int reason, void *data, int status)
{
    sg_draining *e = data;

    if (reason != APR_OC_REASON_DEATH && reason != APR_OC_REASON_LOST) {
        return;
    }
    apr_proc_other_child_unregister(data);
    sg_crash_read_output(sg_daemon_current()->main_server, e->group, e->pid,
                         &e->output, 1, NULL);
    e->pid = 0;
    if (!generation_alive(e->generation, e->socket_path)) {
        unlink(e->socket_path);
    }
}

/* Takes over the draining daemons of earlier generations, so that they are
 * reaped by this generation's code. */
static void adopt_draining(apr_pool_t *pconf)
{
    int i;

    for (i = 0; i < SG_MAX_DRAINING; i++) {
        sg_draining *e = &persist->draining[i];
        apr_proc_t *proc;

        if (e->pid <= 0) {
            continue;
        }
        if (kill(e->pid, 0) != 0 && errno == ESRCH) {
            sg_crash_read_output(sg_daemon_current()->main_server, e->group,
                                 e->pid, &e->output, 1, NULL);
            e->pid = 0;
            if (!generation_alive(e->generation, e->socket_path)) {
                unlink(e->socket_path);
            }
            continue;
        }
        proc = apr_pcalloc(pconf, sizeof(*proc));
        proc->pid = e->pid;
        apr_proc_other_child_register(proc, drained_event, e, NULL, pconf);
    }
}

void sg_handover_drain(pid_t pid, const char *path, const char *group,
                       sg_crash_output *output)
{
    int i;

    for (i = 0; i < SG_MAX_DRAINING; i++) {
        sg_draining *e = &persist->draining[i];
        if (e->pid <= 0) {
            e->pid = pid;
            e->generation = persist->generation;
            apr_cpystrn(e->socket_path, path, sizeof(e->socket_path));
            apr_cpystrn(e->group, group, sizeof(e->group));
            /* Its output pipe moves here with it. */
            e->output = *output;
            output->fd = -1;
            return;
        }
    }
}

/* sg_handover_drain for a handed-over process, whose output pipe is kept
 * as a bare descriptor: it moves into the record too. */
static void remember_handed_over(pid_t pid, const char *path, const char *group,
                                 int *fd)
{
    sg_crash_output output;

    memset(&output, 0, sizeof(output));
    output.fd = *fd;
    sg_handover_drain(pid, path, group, &output);
    *fd = output.fd;
}

/* ---- graceful restarts: handing groups over ---- */

/* On a graceful restart, keeps a group's socket open and its processes
 * running for the next configuration (sg_handover). Processes already
 * retiring still finish and exit; their socket is not removed after them.
 * @return 1 when handed over, 0 when the group drains as before */
int sg_handover_give(sg_group *g)
{
    sg_handover *h = NULL;
    int i, j;

    if (g->listen_fd < 0 || strlen(g->name) >= sizeof(h->name)
        || sg_group_slots(g) > SG_MAX_HANDOVER_PIDS) {
        return 0;
    }
    for (i = 0; i < SG_MAX_HANDOVER && !h; i++) {
        h = persist->handover[i].name[0] ? NULL : &persist->handover[i];
    }
    if (!h) {
        return 0;
    }
    apr_cpystrn(h->name, g->name, sizeof(h->name));
    apr_cpystrn(h->socket_path, g->socket_path, sizeof(h->socket_path));
    apr_cpystrn(h->secret, g->secret, sizeof(h->secret));
    h->listen_fd = g->listen_fd;
    h->owner = ap_unixd_config.user_id;
    h->dev = g->socket_dev;
    h->ino = g->socket_ino;
    h->npids = 0;
    for (j = 0; j < sg_group_slots(g); j++) {
        sg_daemon *d = &g->daemons[j];
        if (d->proc.pid <= 0) {
            continue;
        }
        if (d->role == SG_ROLE_RETIRING) {
            sg_handover_drain(d->proc.pid, "", g->name, &d->output);
            if (d->output.fd >= 0) {
                close(d->output.fd);
            }
        }
        else {
            h->outputs[h->npids] = d->output.fd;
            h->pids[h->npids++] = d->proc.pid;
        }
        d->output.fd = -1;
    }
    g->listen_fd = -1;
    return 1;
}

/* The entry a group of the new configuration takes over, or NULL: same
 * name, same socket owner, and its socket file still the one bound. */
sg_handover *sg_handover_find(sg_group *g)
{
    struct stat st;
    int i;

    for (i = 0; i < SG_MAX_HANDOVER; i++) {
        sg_handover *h = &persist->handover[i];
        if (h->name[0] && !strcmp(h->name, g->name)
            && h->owner == ap_unixd_config.user_id
            && lstat(h->socket_path, &st) == 0 && S_ISSOCK(st.st_mode)
            && st.st_dev == h->dev && st.st_ino == h->ino) {
            return h;
        }
    }
    return NULL;
}

/* Takes a handed-over group's processes into its slots; those beyond its
 * processes are recycled. @return how many it took */
int sg_handover_take(apr_pool_t *pconf, sg_group *g, sg_handover *h)
{
    int i, taken = 0;

    for (i = 0; i < h->npids; i++) {
        sg_daemon *d = &g->daemons[taken];
        if ((kill(h->pids[i], 0) != 0 && errno == ESRCH)
            || taken >= g->processes) {
            if (taken >= g->processes) {
                kill(h->pids[i], SIGUSR2);
                remember_handed_over(h->pids[i], "", h->name, &h->outputs[i]);
            }
            if (h->outputs[i] >= 0) {
                close(h->outputs[i]);
            }
            continue;
        }
        d->proc.pid = h->pids[i];
        d->output.fd = h->outputs[i]; /* its output is still read */
        d->started = apr_time_now();
        d->busy_seen = d->started;
        /* It accepts on this very socket: the children may send to it. */
        apr_atomic_set32(&g->serving[d->slot], 1);
        apr_proc_other_child_register(&d->proc, sg_daemon_event, d, NULL,
                                      pconf);
        taken++;
    }
    h->name[0] = '\0';
    return taken;
}

/* Entries no group of the new configuration took: their processes drain
 * as they did before handovers existed. */
void sg_handover_drain_unclaimed(void)
{
    int i, j;

    for (i = 0; i < SG_MAX_HANDOVER; i++) {
        sg_handover *h = &persist->handover[i];
        if (!h->name[0]) {
            continue;
        }
        for (j = 0; j < h->npids; j++) {
            kill(h->pids[j], SIGUSR1);
            remember_handed_over(h->pids[j], h->socket_path, h->name,
                                 &h->outputs[j]);
            if (h->outputs[j] >= 0) {
                close(h->outputs[j]);
            }
        }
        close(h->listen_fd);
        h->name[0] = '\0';
    }
}

unsigned sg_handover_begin(apr_pool_t *process_pool, apr_pool_t *pconf)
{
    void *data = NULL;

    apr_pool_userdata_get(&data, "swiftgate-daemons", process_pool);
    if (!data) {
        data = apr_pcalloc(process_pool, sizeof(sg_persist));
        apr_pool_userdata_set(data, "swiftgate-daemons", apr_pool_cleanup_null,
                              process_pool);
    }
    persist = data;
    persist->generation++;
    adopt_draining(pconf);
    return persist->generation;
}

void sg_handover_apply(apr_pool_t *pconf, sg_group *g, const sg_handover *h)
{
    g->listen_fd = h->listen_fd;
    g->socket_path = apr_pstrdup(pconf, h->socket_path);
    g->socket_dev = h->dev;
    g->socket_ino = h->ino;
    g->secret = apr_pstrdup(pconf, h->secret);
}

void sg_handover_close_outputs(void)
{
    int i;

    for (i = 0; persist && i < SG_MAX_DRAINING; i++) {
        if (persist->draining[i].output.fd >= 0
            && persist->draining[i].pid > 0) {
            close(persist->draining[i].output.fd);
        }
    }
}

void sg_handover_monitor(void)
{
    int i;

    for (i = 0; persist && i < SG_MAX_DRAINING; i++) {
        if (persist->draining[i].pid > 0) {
            sg_crash_read_output(sg_daemon_current()->main_server,
                                 persist->draining[i].group,
                                 persist->draining[i].pid,
                                 &persist->draining[i].output, 0, NULL);
        }
    }
}

void sg_handover_signal_draining(void)
{
    int i;

    for (i = 0; persist && i < SG_MAX_DRAINING; i++) {
        if (persist->draining[i].pid > 0) {
            kill(persist->draining[i].pid, SIGTERM);
        }
    }
}

int sg_handover_reap_draining(int kill_left)
{
    int i, left = 0;

    for (i = 0; persist && i < SG_MAX_DRAINING; i++) {
        sg_draining *e = &persist->draining[i];

        if (e->pid <= 0) {
            continue;
        }
        if (kill_left) {
            kill(e->pid, SIGKILL);
            waitpid(e->pid, NULL, 0);
        }
        else if (waitpid(e->pid, NULL, WNOHANG) == 0) {
            left++;
            continue;
        }
        sg_crash_read_output(sg_daemon_current()->main_server, e->group, e->pid,
                             &e->output, 1, NULL);
        unlink(e->socket_path);
        e->pid = 0;
    }
    return left;
}
