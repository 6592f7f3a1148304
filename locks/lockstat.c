/*
 * lockstat.c - the records of --lockstat (see lockstat.h): allocation, the
 * contended path, sums for the report, and the tick -> ns conversion.
 *
 * Harness code (not ported).
 */
#include "lockstat.h"

#include <stdlib.h>
#include <time.h>

#include "kmutex.h"
#include "../base/panic.h"

bool vt_lockstat_enabled;
uint64_t vt_lockstat_hold_mask;
vt_lockstat_clock_t vt_lockstat_clock;

/* The conversion interval: monotonic ns and ticks at vt_lockstat_begin(). */
static uint64_t begin_ns, begin_ticks;

uint64_t
vt_lockstat_mono_ns(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

void
vt_lockstat_set_clock(vt_lockstat_clock_t fn)
{
	vt_lockstat_clock = fn;
}

void
vt_lockstat_begin(void)
{
	begin_ns = vt_lockstat_mono_ns();
	begin_ticks = vt_lockstat_now();
}

const char *
vt_lockstat_unit(void)
{
	return (vt_lockstat_clock != (vt_lockstat_clock_t)0 ? "steps" : "ns");
}

/*
 * ns per tick over [vt_lockstat_begin(), now]: 1 for the step clock, and
 * for an interval too short to say (under a millisecond).
 */
double
vt_lockstat_ns_per_tick(void)
{
	uint64_t ns, ticks;

	if (vt_lockstat_clock != (vt_lockstat_clock_t)0 || begin_ns == 0)
		return (1.0);
	ns = vt_lockstat_mono_ns() - begin_ns;
	ticks = vt_lockstat_now() - begin_ticks;
	if (ns < 1000000 || ticks == 0)
		return (1.0);
	return ((double)ns / (double)ticks);
}

void
vt_lockstat_attach(kmutex_t *m)
{
	m->m_ls = calloc(1, sizeof (struct vt_lockstat));
	if (m->m_ls == NULL)
		panic("lockstat: out of memory");
}

void
vt_lockstat_detach(kmutex_t *m)
{
	free(m->m_ls);
	m->m_ls = NULL;
}

static void
times_one(struct vt_ls_times *t, uint64_t d)
{
	if (t->n == 0 || d < t->min)
		t->min = d;
	if (d > t->max)
		t->max = d;
	t->n++;
	t->total += d;
}

/*
 * A contended acquisition from pc that waited `wait` ticks.  The holder
 * calls it (so the record is its own).  Sites fill ls_site[] in order of
 * their first contention; later ones count as other.
 */
void
vt_lockstat_contended(struct vt_lockstat *ls, uint64_t wait, const void *pc)
{
	times_one(&ls->ls_wait, wait);
	for (int i = 0; i < VT_LS_SITES; i++) {
		struct vt_ls_site *s = &ls->ls_site[i];

		if (s->pc == pc || s->pc == NULL) {
			s->pc = pc;
			s->count++;
			s->wait += wait;
			return;
		}
	}
	ls->ls_other++;
}

void
vt_ls_times_add(struct vt_ls_times *t, const struct vt_ls_times *o)
{
	if (o->n == 0)
		return;
	if (t->n == 0 || o->min < t->min)
		t->min = o->min;
	if (o->max > t->max)
		t->max = o->max;
	t->n += o->n;
	t->total += o->total;
}

/* Adds one site to the sum; a sum that is full counts it as other. */
static void
sum_site(struct vt_lockstat_sum *s, const struct vt_ls_site *x)
{
	for (uint32_t i = 0; i < s->nsites; i++) {
		if (s->site[i].pc == x->pc) {
			s->site[i].count += x->count;
			s->site[i].wait += x->wait;
			return;
		}
	}
	if (s->nsites < VT_LS_CLASS_SITES)
		s->site[s->nsites++] = *x;
	else
		s->other += x->count;
}

void
vt_lockstat_sum_add(struct vt_lockstat_sum *s, const struct vt_lockstat *ls)
{
	s->have = true;
	vt_ls_times_add(&s->wait, &ls->ls_wait);
	vt_ls_times_add(&s->hold, &ls->ls_hold);
	s->other += ls->ls_other;
	for (int i = 0; i < VT_LS_SITES && ls->ls_site[i].pc != NULL; i++)
		sum_site(s, &ls->ls_site[i]);
}

void
vt_lockstat_sum_merge(struct vt_lockstat_sum *s, const struct vt_lockstat_sum *o)
{
	if (!o->have)
		return;
	s->have = true;
	vt_ls_times_add(&s->wait, &o->wait);
	vt_ls_times_add(&s->hold, &o->hold);
	s->other += o->other;
	for (uint32_t i = 0; i < o->nsites; i++)
		sum_site(s, &o->site[i]);
}
