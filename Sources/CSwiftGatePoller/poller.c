/*
 * poller.c -- the epoll calls behind swiftgate_poller.h.
 */
#include "swiftgate_poller.h"

#include <sys/epoll.h>

int swiftgate_poller_create(void)
{
    return epoll_create1(EPOLL_CLOEXEC);
}

int swiftgate_poller_arm(int epfd, int fd, uint64_t token, int oneshot, int add)
{
    struct epoll_event ev;

    ev.events = EPOLLIN | EPOLLRDHUP | (oneshot ? EPOLLONESHOT : 0);
    ev.data.u64 = token;
    return epoll_ctl(epfd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
}

int swiftgate_poller_wait(int epfd, uint64_t *token, int timeout_ms)
{
    struct epoll_event ev;
    int n = epoll_wait(epfd, &ev, 1, timeout_ms);

    if (n == 1) {
        *token = ev.data.u64;
    }
    return n;
}
