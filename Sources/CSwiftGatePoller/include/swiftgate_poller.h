/*
 * swiftgate_poller.h -- epoll for the daemon's worker threads, which
 * Swift's Glibc module does not import. Internal to libSwiftGateDaemon: not
 * part of the application ABI (swiftgate.h).
 */
#ifndef SWIFTGATE_POLLER_H
#define SWIFTGATE_POLLER_H

#include <stdint.h>

/* A close-on-exec epoll instance, or -1 with errno set. */
int swiftgate_poller_create(void);

/* Watches fd for input (and the peer's close) under token: adds it when
 * add is set, else re-arms it. With oneshot the watch fires once and waits
 * for the next arm. 0, or -1 with errno set. */
int swiftgate_poller_arm(int epfd, int fd, uint64_t token, int oneshot,
                         int add);

/* Waits up to timeout_ms (-1: no limit) for one ready watch and stores its
 * token: 1 when one fired, 0 on timeout, -1 with errno set. */
int swiftgate_poller_wait(int epfd, uint64_t *token, int timeout_ms);

#endif /* SWIFTGATE_POLLER_H */
