/*
 * spread_report.c - --hash-spread: how a run's keys fall on the buckets of
 * a hash or lock table.  A subsystem hands over the occupancy of each
 * bucket; this file reduces it to a histogram, max/mean and the chi-square
 * statistic against uniform placement, and prints it.
 *
 * Reading it: with k keys thrown at random into n buckets, X^2 is about
 * its degrees of freedom n-1 (X^2/df near 1, z within a few units of 0).
 * Much above: the keys cluster on fewer buckets than they could (the hash
 * folds them: more locks will not help as much as a better hash).  Much
 * below: more even than random (sequential keys under a modular hash).
 *
 * Harness code (not ported).
 */
#include "report.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

void
vt_report_spread(struct vt_report *r, const char *name, const char *what,
    const uint32_t *occ, uint32_t n)
{
	struct vt_report_spread *s;
	double e, x2 = 0;
	uint64_t keys = 0;

	for (uint32_t i = 0; i < n; i++)
		keys += occ[i];
	/* A hash the run put nothing in (no HAT world) says nothing. */
	if (r->nspreads == VT_REPORT_MAX_SPREADS || n == 0 || keys == 0)
		return;
	s = &r->spreads[r->nspreads++];
	memset(s, 0, sizeof (*s));
	snprintf(s->name, sizeof (s->name), "%s", name);
	snprintf(s->keys_what, sizeof (s->keys_what), "%s", what);
	s->buckets = n;
	for (uint32_t i = 0; i < n; i++) {
		s->keys += occ[i];
		if (occ[i] != 0)
			s->nonempty++;
		if (occ[i] > s->max) {
			s->max = occ[i];
			s->max_index = i;
		}
		s->hist[occ[i] < VT_SPREAD_HIST - 1 ? occ[i] :
		    VT_SPREAD_HIST - 1]++;
	}
	s->mean = (double)s->keys / n;
	s->df = n - 1;
	if (s->keys == 0 || n < 2)
		return;
	e = s->mean;
	for (uint32_t i = 0; i < n; i++)
		x2 += ((double)occ[i] - e) * ((double)occ[i] - e) / e;
	s->chi2 = x2;
	{
		/* Wilson-Hilferty: (X^2/df)^(1/3) is close to normal. */
		double v = 2.0 / (9.0 * s->df);

		s->z = (cbrt(x2 / s->df) - (1.0 - v)) / sqrt(v);
	}
}

void
vt_report_spread_print(const struct vt_report *r, FILE *f, bool tap)
{
	char hist[160];

	if (r->nspreads == 0)
		return;
	vt_report_line(f, tap, "hash spread (keys live at the end of the run; X^2 against "
	    "uniform: X^2/df ~1 random-like, >>1 keys cluster, <1 more even)");
	vt_report_line(f, tap, "  %-34s %8s %8s %8s %6s %8s %8s %8s", "hash -> buckets",
	    "keys", "buckets", "used", "max", "mean", "max/mean", "X^2/df");
	for (uint32_t i = 0; i < r->nspreads; i++) {
		const struct vt_report_spread *s = &r->spreads[i];
		char head[96];

		snprintf(head, sizeof (head), "%s (%s)", s->name, s->keys_what);
		vt_report_line(f, tap, "  %-34s %8" PRIu64 " %8u %8u %6" PRIu64 " %8.3f "
		    "%8.2f %8.3f", head, s->keys, s->buckets, s->nonempty,
		    s->max, s->mean, s->mean > 0 ? (double)s->max / s->mean : 0,
		    s->df > 0 ? s->chi2 / s->df : 0);
	}
	vt_report_line(f, tap, "  occupancy: buckets holding 0, 1, ..., %d, >= %d keys",
	    VT_SPREAD_HIST - 2, VT_SPREAD_HIST - 1);
	for (uint32_t i = 0; i < r->nspreads; i++) {
		const struct vt_report_spread *s = &r->spreads[i];
		size_t n = 0;

		for (int k = 0; k < VT_SPREAD_HIST && n < sizeof (hist); k++)
			n += (size_t)snprintf(hist + n, sizeof (hist) - n,
			    " %7" PRIu64, s->hist[k]);
		vt_report_line(f, tap, "  %-34s%s", s->name, hist);
	}
}

void *
vt_report_spread_json(const struct vt_report *r)
{
	json_object *a = json_object_new_array();

	for (uint32_t i = 0; i < r->nspreads; i++) {
		const struct vt_report_spread *s = &r->spreads[i];
		json_object *o = json_object_new_object();
		json_object *h = json_object_new_array();

		json_object_object_add(o, "name", json_object_new_string(s->name));
		json_object_object_add(o, "keys_are",
		    json_object_new_string(s->keys_what));
		json_object_object_add(o, "keys", json_object_new_uint64(s->keys));
		json_object_object_add(o, "buckets",
		    json_object_new_uint64(s->buckets));
		json_object_object_add(o, "used",
		    json_object_new_uint64(s->nonempty));
		json_object_object_add(o, "max", json_object_new_uint64(s->max));
		json_object_object_add(o, "max_index",
		    json_object_new_uint64(s->max_index));
		json_object_object_add(o, "mean", json_object_new_double(s->mean));
		json_object_object_add(o, "chi2", json_object_new_double(s->chi2));
		json_object_object_add(o, "df", json_object_new_double(s->df));
		json_object_object_add(o, "z", json_object_new_double(s->z));
		for (int k = 0; k < VT_SPREAD_HIST; k++)
			json_object_array_add(h, json_object_new_uint64(s->hist[k]));
		json_object_object_add(o, "occupancy", h);
		json_object_array_add(a, o);
	}
	return (a);
}
