/*
 * kmutex.h - kernel synchronisation for the port: kmutex_t, kcondvar_t,
 * krwlock_t, with kernel semantics, over a selectable lock back end.
 *
 * mutex_enter/mutex_exit/mutex_tryenter track the owner, so MUTEX_HELD()
 * is exact, and each mutex counts its own acquisitions and contended
 * acquisitions (updated by the owner while it holds the mutex, so no extra
 * atomics).  Every mutex belongs to a lock class (a named table, see
 * locktable.h) so reports can say "mlist_lock[37]".
 *
 * No macro in this project takes a lock: mutex_enter() is a function.
 */
#ifndef VT_LOCKS_KMUTEX_H
#define VT_LOCKS_KMUTEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <ck_spinlock.h>

#include "atomic.h"
#include "kthread.h"

struct vt_lock_class;
struct vt_lockstat;

/* Storage for whichever back end is selected (one per process run). */
union vt_lock_impl {
	pthread_mutex_t			pm;		/* pthread */
	uint32_t			word;		/* adaptive (futex word), busted */
	ck_spinlock_ticket_t		ticket;
	struct ck_spinlock_mcs		*mcs;		/* queue tail (ck_spinlock_mcs_t is already a pointer) */
	ck_spinlock_clh_t		*clh;		/* queue tail */
	ck_spinlock_fas_t		fas;
};

typedef struct kmutex {
	union vt_lock_impl	m_impl;		/* the back end's lock */
	kthread_t		*m_owner;	/* owner or NULL; relaxed atomics */
	void			*m_qnode;	/* mcs/clh node in use; owner only */
	uint64_t		m_acq;		/* acquisitions; protected by itself */
	uint64_t		m_contended;	/* contended acquisitions; by itself */
	const struct vt_lock_class *m_class;	/* table it belongs to; immutable */
	uint32_t		m_index;	/* index within its table; immutable */
	struct vt_lockstat	*m_ls;		/* --lockstat record or NULL; set at init;
						 * the record: by the mutex itself */
} kmutex_t;

/* Kernel-style mutex_init arguments are accepted and ignored. */
#define MUTEX_DEFAULT	0
#define MUTEX_DRIVER	4

/*
 * mutex_init: prepare m with the current back end, as member `index` of
 * class `cls` (NULL: the anonymous "misc" class).  The kernel's name/type/
 * arg parameters are kept for shape; name may be NULL.
 */
void mutex_init(kmutex_t *m, const char *name, int type, void *arg);
void vt_mutex_init_class(kmutex_t *m, const struct vt_lock_class *cls,
    uint32_t index);
void mutex_destroy(kmutex_t *m);
/* Mutexes initialised and not yet destroyed (vt_lock_select checks it). */
uint64_t vt_mutex_live_count(void);

/* Acquires m (blocks).  Panics on recursive entry. */
void mutex_enter(kmutex_t *m);
/* Releases m; panics if the caller does not own it. */
void mutex_exit(kmutex_t *m);
/* Non-zero if acquired.  Panics if the back end cannot try-lock. */
int mutex_tryenter(kmutex_t *m);
/*
 * True if the calling kthread owns m.  Inline: every MUTEX_HELD() assertion
 * of the port calls it, several per HAT operation.
 */
static inline bool
vt_mutex_held(const kmutex_t *m)
{
	return (VT_PEEK(m->m_owner) == vt_curthread());
}
/* Current owner (diagnostics; racy by nature). */
kthread_t *vt_mutex_owner(const kmutex_t *m);
/* "mlist_lock[37]" into buf (returns buf). */
const char *vt_mutex_name(const kmutex_t *m, char *buf, size_t len);

#define MUTEX_HELD(m)		vt_mutex_held(m)
#define MUTEX_NOT_HELD(m)	(!vt_mutex_held(m))

/*
 * Condition variables with kernel semantics: cv_wait drops m, sleeps, and
 * retakes m before returning; wake-ups may be spurious, callers re-check.
 * Implemented over a sequence word (futex), so they work with every back end.
 */
typedef struct kcondvar {
	uint32_t	cv_seq;		/* bumped by signal/broadcast; atomics */
	uint32_t	cv_waiters;	/* sleepers; atomics */
} kcondvar_t;

#define CV_DEFAULT	0
void cv_init(kcondvar_t *cv, const char *name, int type, void *arg);
void cv_destroy(kcondvar_t *cv);
/* m held on entry; dropped while asleep; held again on return. */
void cv_wait(kcondvar_t *cv, kmutex_t *m);
void cv_signal(kcondvar_t *cv);
void cv_broadcast(kcondvar_t *cv);

/*
 * Reader/writer lock (the simulated address-space lock).  Built from a
 * kmutex_t and a kcondvar_t, so it runs over every back end and every
 * schedule point.
 */
typedef enum { RW_WRITER = 0, RW_READER = 1 } krw_t;
typedef struct krwlock {
	kmutex_t	rw_mutex;	/* protects the fields below */
	kcondvar_t	rw_cv;		/* waiters for a state change */
	int32_t		rw_readers;	/* holders as reader; rw_mutex (stores VT_POKE, racy reads) */
	kthread_t	*rw_writer;	/* holder as writer; rw_mutex (racy reads via VT_RACY) */
	uint32_t	rw_wwant;	/* writers waiting; rw_mutex */
} krwlock_t;

void rw_init(krwlock_t *rw, const char *name, int type, void *arg);
void rw_destroy(krwlock_t *rw);
/* Acquires rw as reader or writer (writers have priority over new readers). */
void rw_enter(krwlock_t *rw, krw_t how);
void rw_exit(krwlock_t *rw);
bool rw_write_held(krwlock_t *rw);
bool rw_lock_held(krwlock_t *rw);

#endif /* VT_LOCKS_KMUTEX_H */
