/*
 * sg_sockdiag.h -- a listening socket's accept queue, from the kernel.
 */
#ifndef SG_SOCKDIAG_H
#define SG_SOCKDIAG_H

#include "apr.h"

/*
 * The connections waiting to be accepted on a listening UNIX socket (what
 * `ss -xl` shows as Recv-Q).
 * @param ino the socket's inode number (fstat of the listening socket)
 * @return the count, or -1 when the kernel does not say
 */
int sg_sockdiag_unix_queue(apr_uint64_t ino);

#endif /* SG_SOCKDIAG_H */
