/*
 * lockstat.h - per-mutex wait and hold times and contending call sites
 * (the illumos lockstat / Linux lock_stat idea over this port's mutexes).
 *
 * Off by default.  When vt_lockstat_enabled is set before the mutexes are
 * initialised, every mutex_init gives the mutex a record (kmutex_t.m_ls);
 * mutex_enter, mutex_tryenter and mutex_exit then time it:
 *  - wait: from the failed first try to the acquisition, for contended
 *    acquisitions only (the uncontended path reads no clock for it);
 *  - hold: from the acquisition to the release, for every acquisition or
 *    one in --lockstat-hold-every (chosen by the mutex's own count, so the
 *    same acquisitions are timed in every run of a controlled schedule);
 *  - sites: the callers of mutex_enter whose acquisitions were contended,
 *    VT_LS_SITES per mutex (further sites are counted as "other").
 * A record is written only by the mutex's holder, so it needs no atomics:
 * it is protected by the mutex it describes.  A mutex without a record
 * (lockstat off, or initialised before it was switched on) costs one
 * predictable branch on a line mutex_enter reads anyway.
 *
 * The clock: the CPU's time-stamp counter in free mode (converted to ns at
 * report time against CLOCK_MONOTONIC over the same interval), or, in
 * controlled mode, the scheduler's step count (vt_lockstat_set_clock), so a
 * controlled run's report stays a function of its seeds.
 *
 * Harness code (not ported).
 */
#ifndef VT_LOCKS_LOCKSTAT_H
#define VT_LOCKS_LOCKSTAT_H

#include <stdbool.h>
#include <stdint.h>

#define VT_LS_SITES		4	/* contending call sites kept per mutex */
#define VT_LS_CLASS_SITES	16	/* ... per class, when summed */

struct kmutex;

/* One contending call site: the caller of mutex_enter. */
struct vt_ls_site {
	const void	*pc;		/* return address into the caller */
	uint64_t	count;		/* contended acquisitions from it */
	uint64_t	wait;		/* their wait, clock ticks */
};

/* Wait or hold times of a set of acquisitions (clock ticks). */
struct vt_ls_times {
	uint64_t	n, min, max, total;
};

/* A mutex's record.  Every field: protected by the mutex itself. */
struct vt_lockstat {
	uint64_t		ls_t0;		/* holder's acquisition time */
	struct vt_ls_times	ls_wait;	/* contended acquisitions */
	struct vt_ls_times	ls_hold;	/* every timed acquisition */
	uint64_t		ls_other;	/* contended from sites beyond ls_site[] */
	struct vt_ls_site	ls_site[VT_LS_SITES];
};

/* The same summed over mutexes (a class, report time). */
struct vt_lockstat_sum {
	bool			have;		/* at least one record was added */
	struct vt_ls_times	wait, hold;
	uint64_t		other;
	uint32_t		nsites;
	struct vt_ls_site	site[VT_LS_CLASS_SITES];
};

/* Set by the engine (--lockstat) before any mutex exists; read at init. */
extern bool vt_lockstat_enabled;
/*
 * Holds timed: the acquisitions k (1-based, per mutex) with k & mask == 0,
 * i.e. one in mask+1 (--lockstat-hold-every).  Set with vt_lockstat_enabled.
 */
extern uint64_t vt_lockstat_hold_mask;
/* The default of --lockstat-hold-every (the bench measures its cost). */
#define VT_LOCKSTAT_HOLD_EVERY	8

/* Is the current hold of a mutex with acq acquisitions timed? */
static inline bool
vt_lockstat_timed(uint64_t acq)
{
	return ((acq & vt_lockstat_hold_mask) == 0);
}

/* Controlled mode's clock (the step count); NULL: the time-stamp counter. */
typedef uint64_t (*vt_lockstat_clock_t)(void);
extern vt_lockstat_clock_t vt_lockstat_clock;
void vt_lockstat_set_clock(vt_lockstat_clock_t fn);

/* CLOCK_MONOTONIC in ns (the free-mode clock where there is no TSC). */
uint64_t vt_lockstat_mono_ns(void);

/* The clock in force: ticks of the counter, or steps. */
static inline uint64_t
vt_lockstat_now(void)
{
	vt_lockstat_clock_t fn = vt_lockstat_clock;

	if (__builtin_expect(fn != (vt_lockstat_clock_t)0, 0))
		return (fn());
#if defined(__x86_64__) || defined(__i386__)
	return (__builtin_ia32_rdtsc());
#else
	return (vt_lockstat_mono_ns());
#endif
}

/*
 * Start and end the measured interval for the tick -> ns conversion (the
 * engine: before boot and at report time).  vt_lockstat_ns_per_tick is 1
 * for a step clock ("steps") and for a clock that had no interval.
 */
void vt_lockstat_begin(void);
double vt_lockstat_ns_per_tick(void);
/* "ns" or "steps". */
const char *vt_lockstat_unit(void);

/* kmutex.c: allocate / free a mutex's record (m->m_ls). */
void vt_lockstat_attach(struct kmutex *m);
void vt_lockstat_detach(struct kmutex *m);

/* kmutex.c, holder only: a contended acquisition that waited `wait`. */
void vt_lockstat_contended(struct vt_lockstat *ls, uint64_t wait,
    const void *pc);
/* kmutex.c, holder only, before the unlock: the hold that ends now. */
static inline void
vt_lockstat_release(struct vt_lockstat *ls)
{
	uint64_t now = vt_lockstat_now();
	/* A step clock restarts between runs (PCT's learning pass). */
	uint64_t d = now > ls->ls_t0 ? now - ls->ls_t0 : 0;
	struct vt_ls_times *h = &ls->ls_hold;

	if (h->n == 0 || d < h->min)
		h->min = d;
	if (d > h->max)
		h->max = d;
	h->n++;
	h->total += d;
}

/* Sums: add a record (or another sum) into s. */
void vt_lockstat_sum_add(struct vt_lockstat_sum *s, const struct vt_lockstat *ls);
void vt_lockstat_sum_merge(struct vt_lockstat_sum *s,
    const struct vt_lockstat_sum *o);
void vt_ls_times_add(struct vt_ls_times *t, const struct vt_ls_times *o);

#endif /* VT_LOCKS_LOCKSTAT_H */
