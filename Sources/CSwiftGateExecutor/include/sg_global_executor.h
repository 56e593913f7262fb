/* Keeping Swift's global executor on the serving thread during a request.
 *
 * A request's own jobs already run on the host thread that serves it (its
 * task prefers that thread's executor). Jobs bound for Swift's global
 * executor are another matter: an unstructured `Task {}` does not inherit
 * an executor preference, and frameworks start one per request (Vapor's
 * async routes and middleware, through NIO's `completeWithTask`), so each
 * would cost two trips between threads. This hook, installed once per
 * library on swift_task_enqueueGlobal_hook (an exported variable of the
 * Swift runtime, chained with any hook already there), offers each such
 * job to the executor draining on the calling thread; a thread that drains
 * nothing, or an executor that declines, leaves the job to the global
 * pool. */
#ifndef SG_GLOBAL_EXECUTOR_H
#define SG_GLOBAL_EXECUTOR_H

#include <stdbool.h>

/* Takes `job` for the executor `drainer` (the pointer given to
 * sg_global_executor_drain); false leaves it to the global pool. */
typedef bool (*sg_global_redirect)(void *drainer, void *job);

/* Installs the hook (once; later calls do nothing). */
void sg_global_executor_install(sg_global_redirect redirect);

/* Names the executor draining on the calling thread: jobs this thread
 * sends to the global executor are offered to it. NULL: none. */
void sg_global_executor_drain(void *drainer);

#endif
