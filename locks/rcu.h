/*
 * rcu.h - RCU read-side sections and grace periods for the port's RCU read
 * paths (liburcu, memory-barrier flavour: readers pay a compiler barrier,
 * synchronize_rcu pays the membarrier syscall).
 *
 * A thread is registered with liburcu the first time it enters a read
 * section and unregistered when it exits (a thread-specific key's
 * destructor), so no worker, reaper or unit test has to know about RCU.
 *
 * ThreadSanitizer: liburcu 0.13 has no TSan support (DESIGN §9).  Every
 * read section releases a grace-period token just before it ends, and
 * vt_rcu_synchronize acquires it once the grace period is over, so what a
 * reader did happens before what the updater does to the memory after the
 * grace period; races inside the library are suppressed
 * (stress/tsan_options.c).
 *
 * Harness code (not ported).  Free mode only: the controlled scheduler runs
 * every worker on one OS thread, where a grace period could never end while
 * a parked fiber sits in a read section (the RCU read paths are refused
 * there, see --htable-lookup).
 */
#ifndef VT_LOCKS_RCU_H
#define VT_LOCKS_RCU_H

#include <stdint.h>

/*
 * TSan suppressions for liburcu's own code, for __tsan_default_suppressions
 * (stress/tsan_options.c; unit tests that link no engine define their own).
 */
#define	VT_RCU_TSAN_SUPPRESSIONS \
	"called_from_lib:liburcu-memb.so.8\n" \
	"called_from_lib:liburcu-common.so.8\n" \
	"called_from_lib:liburcu-cds.so.8\n"

/* Enter / leave a read section (they nest).  Takes no lock. */
void vt_rcu_read_lock(void);
void vt_rcu_read_unlock(void);

/*
 * Wait for a grace period: every read section that had begun when this
 * was called has ended on return.  The caller must not be in a read
 * section; it may hold mutexes that no reader takes inside its section.
 */
void vt_rcu_synchronize(void);

/* Grace periods waited for since the process started (all threads). */
uint64_t vt_rcu_grace_periods(void);

#endif /* VT_LOCKS_RCU_H */
