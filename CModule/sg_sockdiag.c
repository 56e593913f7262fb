/*
 * sg_sockdiag.c -- what the kernel's socket diagnostics (netlink
 * NETLINK_SOCK_DIAG) tell about a listening socket: the connections
 * waiting in its accept queue, which the scoreboard shows per daemon group
 * and the adaptive pool grows on.
 */
#include "sg_sockdiag.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sg_sockdiag_unix_queue(apr_uint64_t ino)
{
    struct {
        struct nlmsghdr nlh;
        struct unix_diag_req req;
    } q;
    union {
        struct nlmsghdr nlh;
        char bytes[8192];
    } reply;
    struct nlmsghdr *h;
    ssize_t n;
    int fd, result = -1;

    fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) {
        return -1;
    }
    memset(&q, 0, sizeof(q));
    q.nlh.nlmsg_len = sizeof(q);
    q.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    q.nlh.nlmsg_flags = NLM_F_REQUEST;
    q.req.sdiag_family = AF_UNIX;
    q.req.udiag_states = -1;
    q.req.udiag_ino = (__u32)ino;
    q.req.udiag_show = UDIAG_SHOW_RQLEN;
    q.req.udiag_cookie[0] = q.req.udiag_cookie[1] = ~0u;
    if (send(fd, &q, sizeof(q), 0) == (ssize_t)sizeof(q)
        && (n = recv(fd, &reply, sizeof(reply), 0)) > 0) {
        for (h = &reply.nlh; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            struct unix_diag_msg *m = NLMSG_DATA(h);
            struct rtattr *a;
            int len;

            if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY) {
                break;
            }
            len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*m));
            for (a = (struct rtattr *)(m + 1); RTA_OK(a, len);
                 a = RTA_NEXT(a, len)) {
                if (a->rta_type == UNIX_DIAG_RQLEN
                    && RTA_PAYLOAD(a) >= (int)sizeof(struct unix_diag_rqlen)) {
                    struct unix_diag_rqlen *rq = RTA_DATA(a);
                    result = (int)rq->udiag_rqueue;
                }
            }
            break;
        }
    }
    close(fd);
    return result;
}
