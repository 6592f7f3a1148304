/*
 * locktable.c - lock classes: run-time sized tables of mutexes and named
 * groups of scattered mutexes, registered for the end-of-run report.
 *
 * Harness code (not ported).  The seeds size their lock arrays at compile
 * time (MLIST_NUM_LOCK, HASH_NUM_LOCK, NUM_HTABLE_MUTEX); here each is a
 * class created at setup with a power-of-two size from the command line.
 */
#include "locktable.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../base/panic.h"

/*
 * The registry, in creation order.  reg_lock protects reg_head, reg_tail,
 * every lc_next and misc_registered.  Classes are created at setup and
 * walked at report time, so it is never contended.
 */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vt_lock_class *reg_head, *reg_tail;

/* The class of mutex_init'd mutexes: static, re-registered after a reset. */
static struct vt_lock_class misc_class = {
	.lc_name = "misc",
	.lc_size = 1,
	.lc_table = false,
};
static bool misc_registered;

/* Protects every class's lc_ls_retired (mutex_destroy of scattered members). */
static pthread_mutex_t retire_lock = PTHREAD_MUTEX_INITIALIZER;

bool
vt_is_pow2(uint64_t n)
{
	return (n != 0 && (n & (n - 1)) == 0);
}

/* Appends cls to the registry.  reg_lock held on entry. */
static void
reg_append(struct vt_lock_class *cls)
{
	cls->lc_next = NULL;
	if (reg_tail != NULL)
		reg_tail->lc_next = cls;
	else
		reg_head = cls;
	reg_tail = cls;
}

/* Unlinks cls if registered.  reg_lock held on entry. */
static void
reg_remove(struct vt_lock_class *cls)
{
	struct vt_lock_class **pp, *prev = NULL;

	for (pp = &reg_head; *pp != NULL; prev = *pp, pp = &(*pp)->lc_next) {
		if (*pp != cls)
			continue;
		*pp = cls->lc_next;
		if (reg_tail == cls)
			reg_tail = prev;
		cls->lc_next = NULL;
		return;
	}
}

static struct vt_lock_class *
class_alloc(const char *name, uint32_t size, bool table)
{
	struct vt_lock_class *cls = calloc(1, sizeof (*cls));
	char *nm = strdup(name != NULL ? name : "?");

	if (cls == NULL || nm == NULL)
		panic("lock class %s: out of memory", name);
	cls->lc_name = nm;
	cls->lc_size = size;
	cls->lc_table = table;
	return (cls);
}

/* Frees a dynamic class (its table too).  Not registered any more. */
static void
class_free(struct vt_lock_class *cls)
{
	uint32_t i;

	if (cls == &misc_class)
		return;
	if (cls->lc_locks != NULL) {
		for (i = 0; i < cls->lc_size; i++)
			mutex_destroy(&cls->lc_locks[i]);
		free(cls->lc_locks);
	}
	free(cls->lc_ls_retired);
	free((void *)(uintptr_t)cls->lc_name);
	free(cls);
}

/*
 * A registered table of n mutexes (n a power of two, validated by the
 * caller; a bad n here is a programming error).  Member i is printed
 * "name[i]".
 */
struct vt_lock_class *
vt_locktable_create(const char *name, uint32_t n)
{
	struct vt_lock_class *cls;
	uint32_t i;

	VERIFY(vt_is_pow2(n));
	cls = class_alloc(name, n, true);
	cls->lc_locks = calloc(n, sizeof (kmutex_t));
	if (cls->lc_locks == NULL)
		panic("lock table %s[%u]: out of memory", name, n);
	for (i = 0; i < n; i++)
		vt_mutex_init_class(&cls->lc_locks[i], cls, i);
	(void) pthread_mutex_lock(&reg_lock);
	reg_append(cls);
	(void) pthread_mutex_unlock(&reg_lock);
	return (cls);
}

/* Unregisters cls and destroys its mutexes (none may be held by others). */
void
vt_locktable_destroy(struct vt_lock_class *cls)
{
	if (cls == NULL || cls == &misc_class)
		return;
	(void) pthread_mutex_lock(&reg_lock);
	reg_remove(cls);
	(void) pthread_mutex_unlock(&reg_lock);
	class_free(cls);
}

/* A registered class for mutexes embedded elsewhere (hat_mutex, ...). */
struct vt_lock_class *
vt_lockclass_create(const char *name)
{
	struct vt_lock_class *cls = class_alloc(name, 1, false);

	(void) pthread_mutex_lock(&reg_lock);
	reg_append(cls);
	(void) pthread_mutex_unlock(&reg_lock);
	return (cls);
}

struct vt_lock_class *
vt_lockclass_misc(void)
{
	(void) pthread_mutex_lock(&reg_lock);
	if (!misc_registered) {
		reg_append(&misc_class);
		misc_registered = true;
	}
	(void) pthread_mutex_unlock(&reg_lock);
	return (&misc_class);
}

struct vt_lock_class *
vt_lockclass_named(const char *name)
{
	struct vt_lock_class *cls;

	(void) pthread_mutex_lock(&reg_lock);
	for (cls = reg_head; cls != NULL; cls = cls->lc_next)
		if (cls->lc_locks == NULL && strcmp(cls->lc_name, name) == 0)
			break;
	(void) pthread_mutex_unlock(&reg_lock);
	return (cls != NULL ? cls : vt_lockclass_create(name));
}

/*
 * Keeps the counts of a scattered member that is going away.  Called by
 * mutex_destroy, after the last release, so m's counters are stable.
 */
void
vt_lockclass_retire(struct vt_lock_class *cls, const kmutex_t *m)
{
	__atomic_add_fetch(&cls->lc_retired_acq, m->m_acq, __ATOMIC_RELAXED);
	__atomic_add_fetch(&cls->lc_retired_contended, m->m_contended,
	    __ATOMIC_RELAXED);
	if (m->m_ls == NULL)
		return;
	(void) pthread_mutex_lock(&retire_lock);
	if (cls->lc_ls_retired == NULL)
		cls->lc_ls_retired = calloc(1, sizeof (*cls->lc_ls_retired));
	if (cls->lc_ls_retired == NULL)
		panic("lock class %s: out of memory", cls->lc_name);
	vt_lockstat_sum_add(cls->lc_ls_retired, m->m_ls);
	(void) pthread_mutex_unlock(&retire_lock);
}

/*
 * Sets *out to the class's counts: retired members plus, for a table, every
 * member.  Live scattered members are added by the caller with
 * vt_lockclass_add().  Report time: no worker runs.
 */
void
vt_locktable_stats(const struct vt_lock_class *cls, struct vt_lock_stats *out)
{
	uint32_t i;

	memset(out, 0, sizeof (*out));
	(void) pthread_mutex_lock(&retire_lock);
	if (cls->lc_ls_retired != NULL)
		vt_lockstat_sum_merge(&out->ls, cls->lc_ls_retired);
	(void) pthread_mutex_unlock(&retire_lock);
	out->acquisitions = __atomic_load_n(&cls->lc_retired_acq,
	    __ATOMIC_RELAXED);
	out->contended = __atomic_load_n(&cls->lc_retired_contended,
	    __ATOMIC_RELAXED);
	if (cls->lc_locks == NULL)
		return;
	for (i = 0; i < cls->lc_size; i++)
		vt_lockclass_add(out, &cls->lc_locks[i]);
}

/* Adds m's counts to *out (report time). */
void
vt_lockclass_add(struct vt_lock_stats *out, const kmutex_t *m)
{
	out->acquisitions += m->m_acq;
	out->contended += m->m_contended;
	if (m->m_ls != NULL)
		vt_lockstat_sum_add(&out->ls, m->m_ls);
}

struct vt_lock_class *
vt_lockclass_first(void)
{
	struct vt_lock_class *cls;

	(void) pthread_mutex_lock(&reg_lock);
	cls = reg_head;
	(void) pthread_mutex_unlock(&reg_lock);
	return (cls);
}

/*
 * Empties the registry: dynamic classes are freed (tables with their
 * mutexes), the misc class is zeroed and re-registers on next use.  Every
 * scattered member must already be destroyed, and no pointer to a class
 * may be used afterwards.
 */
void
vt_lockclass_reset(void)
{
	struct vt_lock_class *cls, *next;

	(void) pthread_mutex_lock(&reg_lock);
	cls = reg_head;
	reg_head = reg_tail = NULL;
	misc_registered = false;
	(void) pthread_mutex_unlock(&reg_lock);

	for (; cls != NULL; cls = next) {
		next = cls->lc_next;
		cls->lc_next = NULL;
		class_free(cls);
	}
	free(misc_class.lc_ls_retired);
	misc_class.lc_ls_retired = NULL;
	__atomic_store_n(&misc_class.lc_retired_acq, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&misc_class.lc_retired_contended, 0, __ATOMIC_RELAXED);
}
