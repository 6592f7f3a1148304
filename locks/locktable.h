/*
 * locktable.h - named, run-time sized, power-of-two tables of kmutex_t
 * (mlist_lock, hash_lock, htable_mutex, ...) and their statistics.
 *
 * A lock class is a table; single mutexes (hat_list_lock, the reserve
 * mutexes, each hat_mutex) belong to classes too, so every acquisition is
 * counted somewhere.  Classes register themselves in a global list read by
 * reports after the run.
 */
#ifndef VT_LOCKS_LOCKTABLE_H
#define VT_LOCKS_LOCKTABLE_H

#include <stdbool.h>
#include <stdint.h>
#include "kmutex.h"
#include "lockstat.h"

struct vt_lock_class {
	const char	*lc_name;	/* "mlist_lock"; immutable */
	uint32_t	lc_size;	/* entries (1 for singletons); immutable */
	bool		lc_table;	/* printed as name[i] */
	kmutex_t	*lc_locks;	/* the table, or NULL for scattered members */
	/* Acquisitions of members freed before the report (hat_mutex of dead hats). */
	uint64_t	lc_retired_acq;		/* atomics */
	uint64_t	lc_retired_contended;	/* atomics */
	struct vt_lock_class *lc_next;	/* registry link; set at registration */
	uint32_t	lc_dep;		/* lockdep class + 1, 0: not yet known; atomics */
	/* --lockstat of members freed before the report; the retire lock. */
	struct vt_lockstat_sum *lc_ls_retired;
};

/* True if n is a power of two (n >= 1). */
bool vt_is_pow2(uint64_t n);

/*
 * Allocate and initialise a table of n mutexes (n a power of two; caller
 * validated it) registered under name.  Returns the class; its lc_locks is
 * the array.
 */
struct vt_lock_class *vt_locktable_create(const char *name, uint32_t n);
void vt_locktable_destroy(struct vt_lock_class *cls);
/* Index a table by hash (masks with size-1). */
static inline kmutex_t *
vt_locktable_lock(const struct vt_lock_class *cls, uint64_t hash)
{
	return (&cls->lc_locks[hash & (cls->lc_size - 1)]);
}

/* A class for scattered mutexes embedded in other objects. */
struct vt_lock_class *vt_lockclass_create(const char *name);
/* Called by mutex_destroy of a scattered member: keep its counts. */
void vt_lockclass_retire(struct vt_lock_class *cls, const kmutex_t *m);

struct vt_lock_stats {
	uint64_t	acquisitions;
	uint64_t	contended;
	struct vt_lockstat_sum ls;	/* --lockstat records (ls.have) */
};

/*
 * Sum the counters of a class.  For scattered classes the caller supplies
 * the live members through the visitor (the registry cannot see them).
 */
void vt_locktable_stats(const struct vt_lock_class *cls,
    struct vt_lock_stats *out);
void vt_lockclass_add(struct vt_lock_stats *out, const kmutex_t *m);

/* The shared "misc" class of unnamed mutex_init'd mutexes (registered on first use). */
struct vt_lock_class *vt_lockclass_misc(void);
/* The registered scattered class called name, created on first use. */
struct vt_lock_class *vt_lockclass_named(const char *name);

/* Registry walk (report time, no workers running). */
struct vt_lock_class *vt_lockclass_first(void);
/* Remove every class (between runs / in tests). */
void vt_lockclass_reset(void);

#endif /* VT_LOCKS_LOCKTABLE_H */
