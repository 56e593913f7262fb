/* The hook described in sg_global_executor.h.
 *
 * The Swift runtime calls the hook with the Swift calling convention, and
 * the function it passes along (the runtime's own enqueue) expects it too:
 * both are declared swiftcall here, as is swift_job_run, whose executor
 * argument (two words: identity and implementation) the Swift convention
 * passes as two scalars. */
#include "sg_global_executor.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define SG_SWIFTCALL __attribute__((swiftcall))

typedef void(SG_SWIFTCALL *sg_enqueue_fn)(void *job);
typedef void(SG_SWIFTCALL *sg_hook_fn)(void *job, sg_enqueue_fn original);

/* Exported by libswift_Concurrency; NULL until someone installs a hook. */
extern sg_hook_fn swift_task_enqueueGlobal_hook;

/* Exported by libswift_Concurrency: runs a job on an executor; identity 0
 * and implementation 0 are the generic executor. */
extern void SG_SWIFTCALL swift_job_run(void *job, void *identity,
                                       uintptr_t implementation);

struct sg_task_owner {
    void *task; /* atomic */
    void *drainer;
    sg_task_owner *next;
};

static sg_global_redirect redirect;
static sg_hook_fn previous;
static bool installed;
static __thread void *drainer;
static sg_task_owner *owners; /* atomic; a list that only grows */

/* The executor that owns `job`'s task, if a host thread serves it. */
static void *owner_of(void *job)
{
    sg_task_owner *o = __atomic_load_n(&owners, __ATOMIC_ACQUIRE);
    for (; o != NULL; o = o->next)
        if (__atomic_load_n(&o->task, __ATOMIC_ACQUIRE) == job)
            return o->drainer;
    return NULL;
}

static void SG_SWIFTCALL hook(void *job, sg_enqueue_fn original)
{
    void *d = drainer;
    if (d == NULL)
        d = owner_of(job);
    if (d != NULL && redirect(d, job))
        return;
    if (previous != NULL)
        previous(job, original);
    else
        original(job);
}

void sg_global_executor_install(sg_global_redirect r)
{
    if (__atomic_exchange_n(&installed, true, __ATOMIC_ACQ_REL))
        return;
    redirect = r;
    /* Another library's copy of this hook, or anyone else's, stays in the
     * chain: it is called for every job this copy does not take. */
    sg_hook_fn seen =
        __atomic_load_n(&swift_task_enqueueGlobal_hook, __ATOMIC_ACQUIRE);
    do {
        previous = seen;
    } while (!__atomic_compare_exchange_n(&swift_task_enqueueGlobal_hook, &seen,
                                          hook, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
}

void sg_global_executor_drain(void *d)
{
    drainer = d;
}

sg_task_owner *sg_task_owner_new(void *d)
{
    sg_task_owner *o = calloc(1, sizeof(*o));
    if (o == NULL)
        abort();
    o->drainer = d;
    sg_task_owner *head = __atomic_load_n(&owners, __ATOMIC_ACQUIRE);
    do {
        o->next = head;
    } while (!__atomic_compare_exchange_n(&owners, &head, o, false,
                                          __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
    return o;
}

void sg_task_owner_set(sg_task_owner *o, void *task)
{
    __atomic_store_n(&o->task, task, __ATOMIC_RELEASE);
}

void sg_job_run_generic(void *job)
{
    swift_job_run(job, NULL, 0);
}
