#ifndef TRUC_CTHREADSCHED_SHIM_H
#define TRUC_CTHREADSCHED_SHIM_H
/* The calling thread's time slice under the Linux fair scheduler (EEVDF, Linux 6.12 and later: sched_setattr's
   sched_runtime is the task's requested slice, 0.1 to 100 ms; a waking task with a shorter slice than the one
   running preempts it). glibc has no wrapper for sched_setattr(2) before 2.41, and Swift cannot call the variadic
   syscall(2): hence this header. Returns 0, or -1 with errno (ENOSYS, EINVAL on kernels without custom slices are
   the caller's to ignore). Elsewhere than Linux it does nothing. */
/* The slice the threads that answer requests ask for: 0.1 ms, the shortest the kernel grants. */
#define TRUC_LATENCY_SLICE_NS 100000

#ifdef __linux__
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/resource.h>

struct truc_sched_attr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
};

static inline int truc_set_thread_slice(uint64_t nanoseconds) {
    struct truc_sched_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.sched_policy = SCHED_OTHER;
    /* sched_setattr sets the nice value too: the thread keeps its own. */
    attr.sched_nice = getpriority(PRIO_PROCESS, 0);
    attr.sched_runtime = nanoseconds;
    return (int)syscall(SYS_sched_setattr, 0, &attr, 0);
}

static inline int64_t truc_thread_slice(void) {
    struct truc_sched_attr attr;
    memset(&attr, 0, sizeof attr);
    if (syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0) != 0) return -1;
    return (int64_t)attr.sched_runtime;
}
#else
#include <stdint.h>
static inline int truc_set_thread_slice(uint64_t nanoseconds) { (void)nanoseconds; return -1; }
static inline int64_t truc_thread_slice(void) { return -1; }
static inline int truc_set_thread_idle(int idle, int nice) {
    if (idle) nice = getpriority(PRIO_PROCESS, 0); /* lowering the nice value takes CAP_SYS_NICE */ (void)idle; (void)nice; return -1; }
#endif
#endif
