/* Keeping Swift's global executor on the serving thread during a request.
 *
 * A request's task is a plain task of the global executor: it has no
 * executor preference, so each `await` into code without an isolation of
 * its own continues where it is, without the runtime looking the
 * preference up under the task's lock. This hook, installed once per
 * library on swift_task_enqueueGlobal_hook (an exported variable of the
 * Swift runtime, chained with any hook already there), keeps such jobs on
 * the host thread that serves the request:
 *
 * - a job the serving thread itself sends to the global executor (the
 *   request task's first job, a framework's per-request `Task {}`) is
 *   offered to the executor draining on that thread;
 * - a request task resumed from another thread (a continuation completed
 *   on an event loop, an actor handing back) is offered to the executor
 *   of the thread that owns it.
 *
 * A job no executor takes goes to the global pool, as without the hook. */
#ifndef SG_GLOBAL_EXECUTOR_H
#define SG_GLOBAL_EXECUTOR_H

#include <stdbool.h>

/* Takes `job` for the executor `drainer` (the pointer given to
 * sg_global_executor_drain or sg_task_owner_new); false leaves it to the
 * global pool. */
typedef bool (*sg_global_redirect)(void *drainer, void *job);

/* Installs the hook (once; later calls do nothing). */
void sg_global_executor_install(sg_global_redirect redirect);

/* Names the executor draining on the calling thread: jobs this thread
 * sends to the global executor are offered to it. NULL: none. */
void sg_global_executor_drain(void *drainer);

/* One executor's claim on the task it serves. Made once per executor and
 * never freed: host threads are few and live as long as the process. */
typedef struct sg_task_owner sg_task_owner;

/* A claim for the executor `drainer`, holding no task yet. */
sg_task_owner *sg_task_owner_new(void *drainer);

/* Names the task (its job pointer) whose jobs, sent to the global
 * executor from any thread, are offered to the claim's executor. NULL:
 * none. */
void sg_task_owner_set(sg_task_owner *owner, void *task);

/* Runs `job` as the global executor does: on the generic executor, with no
 * task executor, so that the task's next `await` stays on this thread. */
void sg_job_run_generic(void *job);

#endif
