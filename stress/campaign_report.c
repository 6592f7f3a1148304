/*
 * campaign_report.c - failure signatures, JSON lines and the aggregate
 * report of `vmtorture campaign` and `vmtorture merge` (see campaign.h).
 *
 * Harness code (not ported).  The signature is read from what a failing
 * child wrote: its JSON report gives the check and message, its stderr the
 * flight recorders (README "Reading a failure").
 */
#include "campaign.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

bool
vt_camp_is_failure(const struct vt_camp_run *r)
{
	return (strcmp(r->result, "fail") == 0 ||
	    strcmp(r->result, "hang") == 0 ||
	    strcmp(r->result, "timeout") == 0);
}

/* s with digit runs and 0x... numbers as '#', into out. */
static void
normalize(const char *s, char *out, size_t len)
{
	size_t n = 0;

	while (*s != '\0' && n + 1 < len) {
		if (s[0] == '0' && s[1] == 'x' && isxdigit((unsigned char)s[2])) {
			s += 2;
			while (isxdigit((unsigned char)*s))
				s++;
			out[n++] = '#';
		} else if (isdigit((unsigned char)*s)) {
			while (isdigit((unsigned char)*s))
				s++;
			out[n++] = '#';
		} else {
			out[n++] = *s++;
		}
	}
	out[n] = '\0';
}

/*
 * The failing worker's top frames from the child's stderr, into out: the
 * operations of its flight recorder, newest first (the same in free and
 * controlled mode, unlike the schedule point).
 */
static void
frames_of(const char *errpath, unsigned worker, char *out, size_t len)
{
	char want[48], line[512], ops[VT_CAMP_FRAMES][64];
	unsigned nops = 0;
	bool in = false;
	size_t n = 0;
	FILE *f;

	snprintf(out, len, "-");
	if (errpath == NULL || worker == 0 || (f = fopen(errpath, "r")) == NULL)
		return;
	snprintf(want, sizeof (want), "  worker %u (", worker);
	while (fgets(line, sizeof (line), f) != NULL) {
		char a[64], b[64];

		if (strncmp(line, "  worker ", 9) == 0) {
			if (in)
				break;
			in = strncmp(line, want, strlen(want)) == 0;
			continue;
		}
		if (!in)
			continue;
		if (strncmp(line, "    ", 4) != 0)
			break;
		/* An event line: "SEQ OP ..." (oldest first). */
		if (sscanf(line, "%63s %63s", a, b) == 2 &&
		    isdigit((unsigned char)a[0]))
			snprintf(ops[nops++ % VT_CAMP_FRAMES], sizeof (ops[0]),
			    "%s", b);
	}
	fclose(f);
	out[0] = '\0';
	for (unsigned i = 0; i < VT_CAMP_FRAMES && i < nops && n < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%s", i ? " < " : "",
		    ops[(nops - 1 - i) % VT_CAMP_FRAMES]);
	if (nops == 0)
		snprintf(out, len, "-");
}

void
vt_camp_signature(const char *check, const char *message,
    const char *errpath, char *sig, size_t len)
{
	const char *rest = message != NULL ? message : "", *file, *ln;
	char site[320], frames[200];
	unsigned worker = 0;
	int skip = 0;

	/* "in worker N (ROLE): MSG" or "in the boot thread: MSG". */
	if (sscanf(rest, "in worker %u (%*[^)]): %n", &worker, &skip) == 1 &&
	    skip > 0)
		rest += skip;
	else if (strncmp(rest, "in the boot thread: ", 20) == 0)
		rest += 20;
	file = strstr(rest, ", file: ");
	ln = file != NULL ? strstr(file, ", line: ") : NULL;
	if (file != NULL && ln != NULL) {
		file += 8;
		while (strncmp(file, "../", 3) == 0)
			file += 3;
		snprintf(site, sizeof (site), "%.*s:%d", (int)(ln - file), file,
		    atoi(ln + 8));
	} else {
		normalize(rest, site, sizeof (site));
	}
	frames_of(errpath, worker, frames, sizeof (frames));
	snprintf(sig, len, "%s | %s | %s", check, site, frames);
}

int
vt_camp_write_run(FILE *f, const struct vt_camp_run *r)
{
	json_object *o = json_object_new_object();
	int rc;

	json_object_object_add(o, "type", json_object_new_string("run"));
	json_object_object_add(o, "cell", json_object_new_string(r->cell));
	json_object_object_add(o, "strategy",
	    json_object_new_string(r->strategy));
	json_object_object_add(o, "seed", json_object_new_uint64(r->seed));
	json_object_object_add(o, "result", json_object_new_string(r->result));
	json_object_object_add(o, "check", r->check[0] ?
	    json_object_new_string(r->check) : NULL);
	json_object_object_add(o, "signature", r->sig[0] ?
	    json_object_new_string(r->sig) : NULL);
	json_object_object_add(o, "seconds", json_object_new_double(
	    (double)(int64_t)(r->seconds * 1000 + 0.5) / 1000));
	json_object_object_add(o, "steps", json_object_new_uint64(r->steps));
	json_object_object_add(o, "exit_code", json_object_new_int(r->code));
	json_object_object_add(o, "trace_hash", r->hash[0] ?
	    json_object_new_string(r->hash) : NULL);
	json_object_object_add(o, "replay", json_object_new_string(r->replay));
	if (r->note != NULL)
		json_object_object_add(o, "note",
		    json_object_new_string(r->note));
	rc = fprintf(f, "%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) < 0 ||
	    fflush(f) != 0 ? -1 : 0;
	json_object_put(o);
	return (rc);
}

/* ---- the aggregate ---- */

static struct vt_camp_cell *
find_cell(struct vt_camp_agg *a, const char *name, size_t *idx)
{
	for (size_t i = 0; i < a->ncells; i++)
		if (strcmp(a->cells[i].name, name) == 0) {
			*idx = i;
			return (&a->cells[i]);
		}
	return (NULL);
}

int
vt_camp_agg_cell(struct vt_camp_agg *a, const char *name)
{
	struct vt_camp_cell *c;
	size_t i;

	if (find_cell(a, name, &i) != NULL)
		return (0);
	if (a->ncells == a->cap_cells) {
		size_t cap = a->cap_cells ? 2 * a->cap_cells : 32;
		void *p = realloc(a->cells, cap * sizeof (*a->cells));

		if (p == NULL)
			return (-1);
		a->cells = p;
		a->cap_cells = cap;
	}
	c = &a->cells[a->ncells++];
	memset(c, 0, sizeof (*c));
	snprintf(c->name, sizeof (c->name), "%s", name);
	c->low_seed = UINT64_MAX;
	return (0);
}

/*
 * Is a a shorter reproducer than b?  Controlled runs (exact replay) before
 * free ones, then fewer steps, a shorter line, the cell, the seed: a total
 * order, so the pick does not depend on the order of the runs.
 */
static bool
shorter(const struct vt_camp_run *a, const struct vt_camp_run *b)
{
	bool ca = a->hash[0] != '\0', cb = b->hash[0] != '\0';
	size_t la = strlen(a->replay), lb = strlen(b->replay);
	int c;

	if (ca != cb)
		return (ca);
	if (a->steps != b->steps)
		return (a->steps < b->steps);
	if (la != lb)
		return (la < lb);
	if ((c = strcmp(a->cell, b->cell)) != 0)
		return (c < 0);
	return (a->seed < b->seed);
}

int
vt_camp_agg_add(struct vt_camp_agg *a, const struct vt_camp_run *r)
{
	struct vt_camp_cell *c;
	struct vt_camp_sig *s = NULL;
	size_t ci;

	if (vt_camp_agg_cell(a, r->cell) != 0)
		return (-1);
	c = find_cell(a, r->cell, &ci);
	c->runs++;
	a->runs++;
	a->child_seconds += r->seconds;
	if (strcmp(r->result, "error") == 0) {
		c->errors++;
		a->errors++;
		return (0);
	}
	if (!vt_camp_is_failure(r))
		return (0);
	c->fails++;
	a->fails++;
	if (r->seed < c->low_seed) {
		c->low_seed = r->seed;
		snprintf(c->low_check, sizeof (c->low_check), "%s", r->check);
	}
	for (size_t i = 0; i < a->nsigs && s == NULL; i++)
		if (strcmp(a->sigs[i].sig, r->sig) == 0)
			s = &a->sigs[i];
	if (s == NULL) {
		if (a->nsigs == a->cap_sigs) {
			size_t cap = a->cap_sigs ? 2 * a->cap_sigs : 16;
			void *p = realloc(a->sigs, cap * sizeof (*a->sigs));

			if (p == NULL)
				return (-1);
			a->sigs = p;
			a->cap_sigs = cap;
		}
		s = &a->sigs[a->nsigs++];
		memset(s, 0, sizeof (*s));
		snprintf(s->sig, sizeof (s->sig), "%s", r->sig);
		snprintf(s->check, sizeof (s->check), "%s", r->check);
		s->best = *r;
	} else if (shorter(r, &s->best)) {
		s->best = *r;
	}
	s->best.note = NULL;
	s->count++;
	for (size_t i = 0; i < s->ncells; i++)
		if (s->cellv[i] == ci)
			return (0);
	{
		void *p = realloc(s->cellv, (s->ncells + 1) * sizeof (size_t));

		if (p == NULL)
			return (-1);
		s->cellv = p;
		s->cellv[s->ncells++] = ci;
	}
	return (0);
}

void
vt_camp_agg_free(struct vt_camp_agg *a)
{
	for (size_t i = 0; i < a->nsigs; i++)
		free(a->sigs[i].cellv);
	free(a->sigs);
	free(a->cells);
	memset(a, 0, sizeof (*a));
}

static int
sig_order(const void *x, const void *y)
{
	const struct vt_camp_sig *a = x, *b = y;
	int c = strcmp(a->check, b->check);

	return (c != 0 ? c : strcmp(a->sig, b->sig));
}

void
vt_camp_agg_print(const struct vt_camp_agg *a, FILE *f)
{
	struct vt_camp_sig *sorted;
	size_t nchecks = 0;

	fprintf(f, "%-40s %6s %6s %8s  %s\n", "cell", "runs", "fails",
	    "lowest", "check");
	for (size_t i = 0; i < a->ncells; i++) {
		const struct vt_camp_cell *c = &a->cells[i];
		char low[24];

		if (c->low_seed == UINT64_MAX)
			snprintf(low, sizeof (low), "-");
		else
			snprintf(low, sizeof (low), "%" PRIu64, c->low_seed);
		fprintf(f, "%-40s %6" PRIu64 " %6" PRIu64 " %8s  %s%s\n",
		    c->name, c->runs, c->fails, low,
		    c->low_seed == UINT64_MAX ? "-" : c->low_check,
		    c->errors ? "  (harness errors)" : "");
	}
	sorted = a->nsigs ? malloc(a->nsigs * sizeof (*sorted)) : NULL;
	if (sorted != NULL) {
		memcpy(sorted, a->sigs, a->nsigs * sizeof (*sorted));
		qsort(sorted, a->nsigs, sizeof (*sorted), sig_order);
	}
	fprintf(f, "signatures: %zu (%" PRIu64 " failed runs)\n",
	    sorted != NULL ? a->nsigs : 0, a->fails);
	for (size_t i = 0; sorted != NULL && i < a->nsigs; i++) {
		const struct vt_camp_sig *s = &sorted[i];
		const char *first = NULL;

		if (i == 0 || strcmp(s->check, sorted[i - 1].check) != 0)
			nchecks++;
		/* The lowest-named cell: the list order is the runs'. */
		for (size_t j = 0; j < s->ncells; j++)
			if (first == NULL || strcmp(a->cells[s->cellv[j]].name,
			    first) < 0)
				first = a->cells[s->cellv[j]].name;
		fprintf(f, "  %-10s %6" PRIu64 " runs %4zu cells  %s\n",
		    s->check, s->count, s->ncells, s->sig);
		fprintf(f, "      e.g. %s%s; shortest (%s, seed %" PRIu64 ", "
		    "%" PRIu64 " steps):\n", first, s->ncells > 1 ? ", ..." : "",
		    s->best.cell, s->best.seed, s->best.steps);
		fprintf(f, "      %s\n", s->best.replay);
	}
	/* One row per check: its signatures rolled up. */
	if (sorted != NULL)
		fprintf(f, "checks: %zu\n", nchecks);
	for (size_t i = 0; sorted != NULL && i < a->nsigs; ) {
		const struct vt_camp_run *best = &sorted[i].best;
		uint64_t runs = 0, cells = 0;
		size_t j, k;

		for (j = i; j < a->nsigs && strcmp(sorted[j].check,
		    sorted[i].check) == 0; j++) {
			runs += sorted[j].count;
			if (shorter(&sorted[j].best, best))
				best = &sorted[j].best;
		}
		for (size_t c = 0; c < a->ncells; c++) {
			bool in = false;

			for (k = i; k < j && !in; k++)
				for (size_t m = 0; m < sorted[k].ncells; m++)
					in |= sorted[k].cellv[m] == c;
			cells += in;
		}
		fprintf(f, "  %-10s %6" PRIu64 " runs %4" PRIu64 " cells %3zu "
		    "signatures; shortest: %s\n", sorted[i].check, runs, cells,
		    j - i, best->replay);
		i = j;
	}
	free(sorted);
	if (a->errors)
		fprintf(f, "harness errors: %" PRIu64 " runs could not run\n",
		    a->errors);
	if (a->fails == 0)
		fprintf(f, "RESULT: PASS (%" PRIu64 " runs, %zu cells, no "
		    "failure)\n", a->runs, a->ncells);
	else
		fprintf(f, "RESULT: FAIL (%zu signatures of %zu checks in %"
		    PRIu64 " failed runs of %" PRIu64 ")\n", a->nsigs, nchecks,
		    a->fails, a->runs);
}
