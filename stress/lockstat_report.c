/*
 * lockstat_report.c - the --lockstat part of the report: per lock class
 * coalesced like `lockstat -c` (acquisitions, contention, wait and hold
 * times, skew), the hottest buckets of each table, and the contending call
 * sites by function and line, in the summary and in the JSON.
 *
 * Harness code (not ported).  Sites are named through symbol.c, so they do
 * not depend on where the binary was loaded; every order is total (count,
 * then name or index), so a controlled run's tables are a function of its
 * seeds.
 */
#include "report.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "symbol.h"
#include "../locks/kmutex.h"
#include "../locks/lockstat.h"
#include "../locks/locktable.h"

/* times (ticks) -> the report's unit. */
static void
convert(struct vt_ls_times *dst, const struct vt_ls_times *src, double f)
{
	dst->n = src->n;
	dst->min = (uint64_t)((double)src->min * f + 0.5);
	dst->max = (uint64_t)((double)src->max * f + 0.5);
	dst->total = (uint64_t)((double)src->total * f + 0.5);
}

/* Is bucket a hotter than b: more contended, more acquired, lower index. */
static bool
hotter(const struct vt_report_ls_bucket *a, const struct vt_report_ls_bucket *b)
{
	if (a->contended != b->contended)
		return (a->contended > b->contended);
	if (a->acquisitions != b->acquisitions)
		return (a->acquisitions > b->acquisitions);
	return (a->index < b->index);
}

/* The top site of one record, by count then name. */
static void
bucket_site(const struct vt_lockstat *ls, char *buf, size_t len)
{
	const struct vt_ls_site *best = NULL;

	buf[0] = '\0';
	for (int i = 0; i < VT_LS_SITES && ls->ls_site[i].pc != NULL; i++) {
		const struct vt_ls_site *s = &ls->ls_site[i];

		if (best == NULL || s->count > best->count || (s->count ==
		    best->count && strcmp(vt_symbol_site(s->pc),
		    vt_symbol_site(best->pc)) < 0))
			best = s;
	}
	if (best != NULL)
		snprintf(buf, len, "%s", vt_symbol_site(best->pc));
}

static int
site_cmp(const void *a, const void *b)
{
	const struct vt_report_ls_site *x = a, *y = b;

	if (x->count != y->count)
		return (x->count > y->count ? -1 : 1);
	return (strcmp(x->site, y->site));
}

/* The hottest --lockstat-top buckets of a table and its skew. */
static void
table_buckets(const struct vt_report *r, struct vt_report_lockstat *o,
    const struct vt_lock_class *cls, double f)
{
	uint32_t top = r->cfg->lockstat_top;
	uint64_t total = 0;

	if (top > VT_REPORT_LS_HOT)
		top = VT_REPORT_LS_HOT;
	for (uint32_t i = 0; i < cls->lc_size; i++) {
		const kmutex_t *m = &cls->lc_locks[i];
		struct vt_report_ls_bucket b;
		uint32_t k;

		total += m->m_acq;
		if (m->m_acq > o->max_load || i == 0) {
			o->max_load = m->m_acq;
			o->max_index = i;
		}
		if (m->m_acq == 0)
			continue;
		memset(&b, 0, sizeof (b));
		b.index = i;
		b.acquisitions = m->m_acq;
		b.contended = m->m_contended;
		if (o->nhot == top && !hotter(&b, &o->hot[top - 1]))
			continue;
		if (m->m_ls != NULL) {
			convert(&b.wait, &m->m_ls->ls_wait, f);
			convert(&b.hold, &m->m_ls->ls_hold, f);
			bucket_site(m->m_ls, b.site, sizeof (b.site));
		}
		/* Insert in order; the coldest falls off the end. */
		k = o->nhot < top ? o->nhot++ : top - 1;
		while (k > 0 && hotter(&b, &o->hot[k - 1])) {
			o->hot[k] = o->hot[k - 1];
			k--;
		}
		o->hot[k] = b;
	}
	o->skew = total > 0 ? (double)o->max_load * cls->lc_size /
	    (double)total : 0;
}

void
vt_report_lockstat_class(const struct vt_report *r, struct vt_report_lock *l,
    const struct vt_lock_class *cls, const struct vt_lock_stats *s,
    double ns_per_tick)
{
	struct vt_report_lockstat *o = &l->ls;
	struct vt_report_ls_site all[VT_LS_CLASS_SITES];
	uint32_t n = 0;

	memset(o, 0, sizeof (*o));
	l->have_ls = s->ls.have;
	if (!s->ls.have)
		return;
	convert(&o->wait, &s->ls.wait, ns_per_tick);
	convert(&o->hold, &s->ls.hold, ns_per_tick);
	/* Sites merged by pc may still share a name (inlined callers). */
	for (uint32_t i = 0; i < s->ls.nsites; i++) {
		const char *nm = vt_symbol_site(s->ls.site[i].pc);
		uint32_t j;

		for (j = 0; j < n && strcmp(all[j].site, nm) != 0; j++)
			;
		if (j == n) {
			memset(&all[n], 0, sizeof (all[n]));
			snprintf(all[n].site, sizeof (all[n].site), "%s", nm);
			n++;
		}
		all[j].count += s->ls.site[i].count;
		all[j].wait += (uint64_t)((double)s->ls.site[i].wait *
		    ns_per_tick + 0.5);
	}
	qsort(all, n, sizeof (all[0]), site_cmp);
	o->other = s->ls.other;
	for (uint32_t i = 0; i < n; i++) {
		if (i < VT_REPORT_LS_SITES)
			o->sites[o->nsites++] = all[i];
		else
			o->other += all[i].count;
	}
	if (cls->lc_locks != NULL && cls->lc_size > 1)
		table_buckets(r, o, cls, ns_per_tick);
}

/* ---- summary ---- */

/* A time for a column: ns as 950ns, 12.3us, 4.56ms, 7.89s; steps as is. */
static const char *
tm(const struct vt_report *r, uint64_t v, char *buf, size_t len)
{
	if (strcmp(r->ls_unit, "ns") != 0)
		snprintf(buf, len, "%" PRIu64, v);
	else if (v < 10000)
		snprintf(buf, len, "%" PRIu64 "ns", v);
	else if (v < 1000000)
		snprintf(buf, len, "%.1fus", (double)v / 1e3);
	else if (v < 1000000000)
		snprintf(buf, len, "%.1fms", (double)v / 1e6);
	else
		snprintf(buf, len, "%.2fs", (double)v / 1e9);
	return (buf);
}

/* "min avg max total" of t into buf (dashes when empty). */
static const char *
times4(const struct vt_report *r, const struct vt_ls_times *t, char *buf,
    size_t len)
{
	char a[24], b[24], c[24], d[24];

	if (t->n == 0) {
		snprintf(buf, len, "%7s %7s %7s %8s", "-", "-", "-", "-");
		return (buf);
	}
	snprintf(buf, len, "%7s %7s %7s %8s", tm(r, t->min, a, sizeof (a)),
	    tm(r, t->total / t->n, b, sizeof (b)), tm(r, t->max, c, sizeof (c)),
	    tm(r, t->total, d, sizeof (d)));
	return (buf);
}

static double
pct(uint64_t part, uint64_t whole)
{
	return (whole > 0 ? 100.0 * (double)part / (double)whole : 0);
}

void
vt_report_lockstat_print(const struct vt_report *r, FILE *f, bool tap)
{
	char w[80], h[80], head[64];

	if (!r->have_lockstat)
		return;
	if (r->ls_hold_every > 1)
		snprintf(h, sizeof (h), "hold: 1 acquisition in %u",
		    r->ls_hold_every);
	else
		snprintf(h, sizeof (h), "hold: every acquisition");
	vt_report_line(f, tap, "lockstat (times in %s; wait: contended acquisitions; %s; "
	    "skew: busiest bucket / mean)", r->ls_unit, h);
	vt_report_line(f, tap, "  %-22s %11s %9s %6s | %-7s %7s %7s %8s | %-7s %7s %7s "
	    "%8s | %6s", "class", "acquired", "contended", "rate", "wait min",
	    "avg", "max", "total", "hold min", "avg", "max", "total", "skew");
	for (uint32_t i = 0; i < r->nlocks; i++) {
		const struct vt_report_lock *l = &r->locks[i];
		char sk[16];

		if (!l->have_ls || l->acquisitions == 0)
			continue;
		if (l->size != 0)
			snprintf(head, sizeof (head), "%s[%u]", l->name, l->size);
		else
			snprintf(head, sizeof (head), "%s", l->name);
		if (l->size > 1)
			snprintf(sk, sizeof (sk), "%.2f", l->ls.skew);
		else
			snprintf(sk, sizeof (sk), "-");
		vt_report_line(f, tap, "  %-22s %11" PRIu64 " %9" PRIu64 " %5.2f%% | %s | "
		    "%s | %6s", head, l->acquisitions, l->contended,
		    pct(l->contended, l->acquisitions),
		    times4(r, &l->ls.wait, w, sizeof (w)),
		    times4(r, &l->ls.hold, h, sizeof (h)), sk);
	}
	for (uint32_t i = 0; i < r->nlocks; i++) {
		const struct vt_report_lock *l = &r->locks[i];

		if (!l->have_ls || l->acquisitions == 0)
			continue;
		if (l->ls.nhot > 0) {
			vt_report_line(f, tap, "%s: hottest %u of %u buckets (bucket %u: %"
			    PRIu64 " acquisitions, %.2f x the mean)", l->name,
			    l->ls.nhot, l->size, l->ls.max_index,
			    l->ls.max_load, l->ls.skew);
			for (uint32_t k = 0; k < l->ls.nhot; k++) {
				const struct vt_report_ls_bucket *b =
				    &l->ls.hot[k];

				snprintf(head, sizeof (head), "%s[%u]", l->name,
				    b->index);
				vt_report_line(f, tap, "  %-22s %11" PRIu64 " %9" PRIu64
				    " %5.2f%% | %s | %s | %s", head,
				    b->acquisitions, b->contended,
				    pct(b->contended, b->acquisitions),
				    times4(r, &b->wait, w, sizeof (w)),
				    times4(r, &b->hold, h, sizeof (h)),
				    b->site[0] ? b->site : "-");
			}
		}
		if (l->ls.nsites > 0) {
			vt_report_line(f, tap, "%s: contending call sites", l->name);
			for (uint32_t k = 0; k < l->ls.nsites; k++) {
				const struct vt_report_ls_site *s =
				    &l->ls.sites[k];

				vt_report_line(f, tap, "  %9" PRIu64 " %5.1f%%  wait %8s  "
				    "avg %7s  %s", s->count, pct(s->count,
				    l->contended), tm(r, s->wait, w, sizeof (w)),
				    tm(r, s->count ? s->wait / s->count : 0, h,
				    sizeof (h)), s->site);
			}
			if (l->ls.other > 0)
				vt_report_line(f, tap, "  %9" PRIu64 " %5.1f%%  (other "
				    "sites)", l->ls.other, pct(l->ls.other,
				    l->contended));
		}
	}
}

/* ---- JSON ---- */

static json_object *
times_json(const struct vt_ls_times *t)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "count", json_object_new_uint64(t->n));
	json_object_object_add(o, "min", json_object_new_uint64(t->min));
	json_object_object_add(o, "avg", json_object_new_uint64(t->n ?
	    t->total / t->n : 0));
	json_object_object_add(o, "max", json_object_new_uint64(t->max));
	json_object_object_add(o, "total", json_object_new_uint64(t->total));
	return (o);
}

void *
vt_report_lockstat_json(const struct vt_report *r,
    const struct vt_report_lock *l)
{
	json_object *o, *a;

	if (!l->have_ls)
		return (NULL);
	o = json_object_new_object();
	json_object_object_add(o, "unit", json_object_new_string(r->ls_unit));
	json_object_object_add(o, "hold_every",
	    json_object_new_uint64(r->ls_hold_every));
	json_object_object_add(o, "contention_rate", json_object_new_double(
	    l->acquisitions ? (double)l->contended / (double)l->acquisitions :
	    0));
	json_object_object_add(o, "wait", times_json(&l->ls.wait));
	json_object_object_add(o, "hold", times_json(&l->ls.hold));
	if (l->size > 1) {
		json_object_object_add(o, "skew",
		    json_object_new_double(l->ls.skew));
		json_object_object_add(o, "max_load",
		    json_object_new_uint64(l->ls.max_load));
	}
	a = json_object_new_array();
	for (uint32_t k = 0; k < l->ls.nhot; k++) {
		const struct vt_report_ls_bucket *b = &l->ls.hot[k];
		json_object *bo = json_object_new_object();

		json_object_object_add(bo, "index",
		    json_object_new_uint64(b->index));
		json_object_object_add(bo, "acquisitions",
		    json_object_new_uint64(b->acquisitions));
		json_object_object_add(bo, "contended",
		    json_object_new_uint64(b->contended));
		json_object_object_add(bo, "wait", times_json(&b->wait));
		json_object_object_add(bo, "hold", times_json(&b->hold));
		json_object_object_add(bo, "site",
		    json_object_new_string(b->site));
		json_object_array_add(a, bo);
	}
	json_object_object_add(o, "hottest", a);
	a = json_object_new_array();
	for (uint32_t k = 0; k < l->ls.nsites; k++) {
		json_object *so = json_object_new_object();

		json_object_object_add(so, "site",
		    json_object_new_string(l->ls.sites[k].site));
		json_object_object_add(so, "contended",
		    json_object_new_uint64(l->ls.sites[k].count));
		json_object_object_add(so, "wait",
		    json_object_new_uint64(l->ls.sites[k].wait));
		json_object_array_add(a, so);
	}
	json_object_object_add(o, "sites", a);
	json_object_object_add(o, "other_sites_contended",
	    json_object_new_uint64(l->ls.other));
	return (o);
}
