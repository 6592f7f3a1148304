/*
 * lockdep.h - a lock-order validator (the Linux lockdep / FreeBSD WITNESS
 * idea over this port's lock classes).
 *
 * Every mutex_enter of a mutex of class B by a thread holding mutexes of
 * classes A1..An records the class edges Ai -> B, each with the call site
 * of its first occurrence.  The first edge that closes a cycle in the class
 * graph is reported at once as the check `lock-order` (both orders, with
 * their sites), even though no deadlock happened.  Taking a second mutex of
 * a class while holding one of the same class is reported too, unless the
 * class is declared nestable (vt_lockdep_nestable): for hashed lock tables
 * (one mlist lock, one bucket mutex at a time) two threads taking two
 * members in opposite orders deadlock just the same.
 *
 * Classes are identified by name (a lock table's, or a named singleton's),
 * so the graph means the same over every boot of one process; unnamed
 * mutexes (the "misc" class, e.g. the inside of a krwlock_t) are not
 * checked.  mutex_
 * tryenter adds no edge (a try cannot wait) but what it takes is held.
 */
#ifndef VT_LOCKS_LOCKDEP_H
#define VT_LOCKS_LOCKDEP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kthread.h"

#define VT_LOCKDEP_CLASSES	64	/* distinct class names per process */

struct kmutex;

/* Off until the engine (--lockdep, on by default) or a test sets it; set
 * while no worker runs. */
extern bool vt_lockdep_enabled;

/*
 * t is about to wait for m (mutex_enter, before the back end is asked): add
 * the edges from every class t holds; fail the run with `lock-order` on a
 * cycle.  pc is the caller's site.
 */
void vt_lockdep_acquire(kthread_t *t, const struct kmutex *m, const void *pc);

/* Declare class `name` nestable (members taken in a defined order). */
void vt_lockdep_nestable(const char *name);

/* Names of the sites in reports: set by the engine (NULL: pc+offset). */
typedef const char *(*vt_lockdep_site_t)(const void *pc, char *buf,
    size_t len);
void vt_lockdep_set_site_namer(vt_lockdep_site_t fn);

/*
 * The edges seen so far, one "A -> B site" line each (tests compare them
 * with doc/LOCKING.md's order).  Returns the number of edges.
 */
uint32_t vt_lockdep_dump(FILE *f);

/* Forget every edge (tests). */
void vt_lockdep_reset(void);

#endif /* VT_LOCKS_LOCKDEP_H */
