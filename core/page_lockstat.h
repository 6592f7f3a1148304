/*
 * page_lockstat.h - --lockstat of the simulated page locks (p_selock).
 *
 * A page lock is a CAS word, not a kmutex, so the mutex records of
 * locks/lockstat.h cannot hold it: several SE_SHARED holders own the same
 * lock at once.  With --lockstat the machine registers a scattered lock
 * class "page_lock" and every thread keeps its own record (no atomics, no
 * shared line): acquisitions (page_lock and successful page_trylock),
 * contended acquisitions (page_lock whose first try failed) with their wait
 * and calling site, and the hold of one acquisition in --lockstat-hold-every
 * of each thread, from the lock to the page_unlock by the same thread.  The
 * report sums the records (vt_page_lockstat_sum) with the world stopped.
 *
 * Without --lockstat nothing is registered and page_lock/page_unlock pay
 * one predictable branch; no schedule point is added either way, so a
 * controlled run's schedule is the same with and without --lockstat.
 *
 * Locks: pls_lock (a plain pthread mutex, core/page_lockstat.c) protects
 * the list of records; a thread takes it once, when it first locks a page
 * in a boot.  Each record's counts: its own thread only.
 *
 * Harness code (not ported).
 */
#ifndef VT_CORE_PAGE_LOCKSTAT_H
#define VT_CORE_PAGE_LOCKSTAT_H

#include <stdbool.h>
#include <stdint.h>

struct page;
struct vt_lock_class;
struct vt_lock_stats;

/* The class while --lockstat is on (between init and fini), else NULL. */
extern struct vt_lock_class *vt_page_lock_class;

/* Machine boot / teardown (no workers running). */
void vt_page_lockstat_init(void);
void vt_page_lockstat_fini(void);

/*
 * The calling thread now holds pp; contended: its first try failed at
 * tick t_try, and pc called page_lock.
 */
void vt_page_lockstat_acquired(const struct page *pp, bool contended,
    uint64_t t_try, const void *pc);
/* The calling thread is about to drop pp (page_unlock). */
void vt_page_lockstat_release(const struct page *pp);

/* Add every thread's record to s (report time: world stopped). */
void vt_page_lockstat_sum(struct vt_lock_stats *s);

#endif /* VT_CORE_PAGE_LOCKSTAT_H */
