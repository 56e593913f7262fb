/* The hook described in sg_global_executor.h.
 *
 * The Swift runtime calls the hook with the Swift calling convention, and
 * the function it passes along (the runtime's own enqueue) expects it too:
 * both are declared swiftcall here. */
#include "sg_global_executor.h"

#include <stddef.h>

#define SG_SWIFTCALL __attribute__((swiftcall))

typedef void(SG_SWIFTCALL *sg_enqueue_fn)(void *job);
typedef void(SG_SWIFTCALL *sg_hook_fn)(void *job, sg_enqueue_fn original);

/* Exported by libswift_Concurrency; NULL until someone installs a hook. */
extern sg_hook_fn swift_task_enqueueGlobal_hook;

static sg_global_redirect redirect;
static sg_hook_fn previous;
static bool installed;
static __thread void *drainer;

static void SG_SWIFTCALL hook(void *job, sg_enqueue_fn original)
{
    void *d = drainer;
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
