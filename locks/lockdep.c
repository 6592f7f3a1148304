/*
 * lockdep.c - the lock-order validator (lockdep.h).
 *
 * Harness code (not ported).  The graph is an adjacency bit matrix over at
 * most VT_LOCKDEP_CLASSES class names, updated with atomic ORs so that any
 * thread may add an edge; the first site of an edge is set with a CAS.  A
 * known edge costs one relaxed load, so the check is on by default.  A new
 * edge A -> B runs a depth-first search from B; reaching A is a cycle.
 */
#include "lockdep.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmutex.h"
#include "locktable.h"
#include "../base/panic.h"

bool vt_lockdep_enabled = false;

#define N	VT_LOCKDEP_CLASSES

/* Class names by index (1-based ids in the classes); under names_lock. */
static const char *names[N];
static uint32_t nnames;
static bool nestable[N];
static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t edge[N];		/* edge[a] bit b: a -> b; atomics */
static const void *site[N][N];		/* first site of a -> b; CAS */
static vt_lockdep_site_t site_namer;

extern char __executable_start;

/* names[i], read by any thread (written once, under names_lock). */
static const char *
name_at(int i)
{
	return (__atomic_load_n(&names[i], __ATOMIC_ACQUIRE));
}

/* The index of class name nm (registered on first sight), or -1 if full. */
static int
index_of(const char *nm)
{
	int i;

	(void) pthread_mutex_lock(&names_lock);
	for (i = 0; i < (int)nnames; i++)
		if (strcmp(name_at(i), nm) == 0)
			break;
	if (i == (int)nnames) {
		char *copy = nnames < N ? strdup(nm) : NULL;

		if (copy == NULL) {
			i = -1;		/* full or out of memory: unchecked */
		} else {
			__atomic_store_n(&names[nnames], copy,
			    __ATOMIC_RELEASE);
			__atomic_store_n(&nnames, nnames + 1, __ATOMIC_RELEASE);
		}
	}
	(void) pthread_mutex_unlock(&names_lock);
	return (i);
}

/*
 * The class index of m, cached in the class (lc_dep, 1-based; 0 unknown).
 * Classes are immutable while their mutexes are in use, except for this
 * one cache, which every thread computes alike.
 */
static int
class_of(const kmutex_t *m)
{
	struct vt_lock_class *cls = (struct vt_lock_class *)(uintptr_t)
	    m->m_class;
	uint32_t d;
	int i;

	/* Unnamed mutexes (the misc class) have no order to check. */
	if (cls == NULL || strcmp(cls->lc_name, "misc") == 0)
		return (-1);
	d = __atomic_load_n(&cls->lc_dep, __ATOMIC_RELAXED);
	if (d != 0)
		return ((int)d - 1);
	if ((i = index_of(cls->lc_name)) >= 0)
		__atomic_store_n(&cls->lc_dep, (uint32_t)i + 1,
		    __ATOMIC_RELAXED);
	return (i);
}

static const char *
site_name(const void *pc, char *buf, size_t len)
{
	if (pc == NULL)
		snprintf(buf, len, "?");
	else if (site_namer == NULL || site_namer(pc, buf, len) == NULL)
		snprintf(buf, len, "pc+%#" PRIxPTR, (uintptr_t)pc -
		    (uintptr_t)&__executable_start);
	return (buf);
}

static bool
has_edge(int a, int b)
{
	return ((__atomic_load_n(&edge[a], __ATOMIC_RELAXED) >> b) & 1);
}

/*
 * A path from `from` to `to` in the graph: its classes into path[] (from
 * first), the length returned, 0 if none.  Depth-first, bounded by N.
 */
static int
find_path(int from, int to, uint64_t *seen, int *path, int depth)
{
	path[depth] = from;
	if (from == to)
		return (depth + 1);
	*seen |= 1ULL << from;
	for (int c = 0; c < N; c++) {
		int n;

		if (!has_edge(from, c) || (*seen >> c) & 1)
			continue;
		if ((n = find_path(c, to, seen, path, depth + 1)) > 0)
			return (n);
	}
	return (0);
}

/* Does the edge a -> b, just added, close a cycle (a path b -> a)? */
static bool
closes_cycle(int a, int b)
{
	uint64_t seen = 0;
	int path[N + 1];

	return (find_path(b, a, &seen, path, 0) > 0);
}

/* Report the cycle closed by a -> b (taken at pc) and fail the run. */
static void
report_cycle(int a, int b, const void *pc)
{
	char msg[1536], s[160];
	int path[N + 1], n;
	uint64_t seen = 0;
	size_t used;

	n = find_path(b, a, &seen, path, 0);
	used = (size_t)snprintf(msg, sizeof (msg), "%s taken while holding "
	    "%s at %s, but earlier", name_at(b), name_at(a),
	    site_name(pc, s, sizeof (s)));
	for (int i = 0; i + 1 < n && used < sizeof (msg); i++)
		used += (size_t)snprintf(msg + used, sizeof (msg) - used,
		    "%s %s then %s at %s", i ? ";" : "", name_at(path[i]),
		    name_at(path[i + 1]), site_name(__atomic_load_n(
		    &site[path[i]][path[i + 1]], __ATOMIC_RELAXED), s,
		    sizeof (s)));
	vt_fail("lock-order", "%s", msg);
}

void
vt_lockdep_acquire(kthread_t *t, const kmutex_t *m, const void *pc)
{
	uint32_t nheld = t->t_nheld;
	int b;

	if (nheld == 0 || !vt_lockdep_enabled)
		return;
	if ((b = class_of(m)) < 0)
		return;
	if (nheld > VT_MAX_HELD)
		nheld = VT_MAX_HELD;
	for (uint32_t i = 0; i < nheld; i++) {
		const kmutex_t *h = t->t_held[i];
		const void *none = NULL;
		int a;

		if (h == NULL || (a = class_of(h)) < 0)
			continue;
		if (a == b) {
			char s[160];

			if (__atomic_load_n(&nestable[a], __ATOMIC_RELAXED))
				continue;
			vt_fail("lock-order", "two %s at once: the second "
			    "taken at %s (members of one class taken in no "
			    "defined order deadlock)", name_at(a),
			    site_name(pc, s, sizeof (s)));
		}
		if (has_edge(a, b))
			continue;
		(void) __atomic_compare_exchange_n(&site[a][b], &none, pc,
		    false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
		__atomic_fetch_or(&edge[a], 1ULL << b, __ATOMIC_RELAXED);
		if (closes_cycle(a, b))
			report_cycle(a, b, pc);
	}
}

void
vt_lockdep_nestable(const char *name)
{
	int i = index_of(name);

	if (i >= 0)
		__atomic_store_n(&nestable[i], true, __ATOMIC_RELAXED);
}

void
vt_lockdep_set_site_namer(vt_lockdep_site_t fn)
{
	site_namer = fn;
}

uint32_t
vt_lockdep_dump(FILE *f)
{
	uint32_t n = 0;
	char s[160];

	for (uint32_t a = 0; a < __atomic_load_n(&nnames, __ATOMIC_ACQUIRE); a++)
		for (uint32_t b = 0; b < __atomic_load_n(&nnames, __ATOMIC_ACQUIRE); b++)
			if (has_edge((int)a, (int)b)) {
				fprintf(f, "%s -> %s %s\n", name_at(a), name_at(b),
				    site_name(__atomic_load_n(&site[a][b],
				    __ATOMIC_RELAXED), s, sizeof (s)));
				n++;
			}
	return (n);
}

void
vt_lockdep_reset(void)
{
	for (int a = 0; a < N; a++) {
		__atomic_store_n(&edge[a], 0, __ATOMIC_RELAXED);
		for (int b = 0; b < N; b++)
			__atomic_store_n(&site[a][b], NULL, __ATOMIC_RELAXED);
	}
}
