/*
 * campaign_merge.c - `vmtorture merge FILE...`: fold the JSON-line files of
 * campaign shards into one report (campaign.h: the same aggregate, so the
 * same de-duplication, totals and lowest failing seed per cell as one
 * process over the same seeds).
 *
 * Harness code (not ported).  Every file must come from the same campaign
 * (the header lines list the same cells); a (cell, seed) met twice counts
 * once; shards of an I/N split that are missing are named.
 */
#include "run.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "campaign.h"

#define MG_MAX_SHARDS	4096

static const char *
str_of(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

static bool
num_of(json_object *o, const char *k, double *d)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL ||
	    (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double)))
		return (false);
	*d = json_object_get_double(v);
	return (true);
}

/* A run line into r; -1 when a required member is missing. */
static int
run_of(json_object *o, struct vt_camp_run *r)
{
	const char *cell = str_of(o, "cell"), *res = str_of(o, "result");
	const char *s;
	json_object *v;
	double d;

	memset(r, 0, sizeof (*r));
	if (cell == NULL || res == NULL ||
	    !json_object_object_get_ex(o, "seed", &v) || v == NULL)
		return (-1);
	snprintf(r->cell, sizeof (r->cell), "%s", cell);
	snprintf(r->result, sizeof (r->result), "%s", res);
	r->seed = json_object_get_uint64(v);
	if ((s = str_of(o, "strategy")) != NULL)
		snprintf(r->strategy, sizeof (r->strategy), "%s", s);
	if ((s = str_of(o, "check")) != NULL)
		snprintf(r->check, sizeof (r->check), "%s", s);
	if ((s = str_of(o, "signature")) != NULL)
		snprintf(r->sig, sizeof (r->sig), "%s", s);
	if ((s = str_of(o, "replay")) != NULL)
		snprintf(r->replay, sizeof (r->replay), "%s", s);
	if ((s = str_of(o, "trace_hash")) != NULL)
		snprintf(r->hash, sizeof (r->hash), "%s", s);
	if (num_of(o, "seconds", &d))
		r->seconds = d;
	if (json_object_object_get_ex(o, "steps", &v) && v != NULL)
		r->steps = json_object_get_uint64(v);
	if (num_of(o, "exit_code", &d))
		r->code = (int)d;
	return (0);
}

/* (cell, seed) pairs seen: a sorted-free list is enough for a report. */
struct seen {
	char		(*cell)[VT_CAMP_CELL];
	uint64_t	*seed;
	size_t		n, cap;
};

static int
seen_add(struct seen *s, const struct vt_camp_run *r, bool *dup)
{
	*dup = false;
	for (size_t i = 0; i < s->n; i++)
		if (s->seed[i] == r->seed && strcmp(s->cell[i], r->cell) == 0) {
			*dup = true;
			return (0);
		}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		void *a = realloc(s->cell, cap * sizeof (*s->cell));
		void *b = a != NULL ? realloc(s->seed, cap * sizeof (*s->seed)) :
		    NULL;

		if (a != NULL)
			s->cell = a;
		if (b == NULL)
			return (-1);
		s->seed = b;
		s->cap = cap;
	}
	snprintf(s->cell[s->n], VT_CAMP_CELL, "%s", r->cell);
	s->seed[s->n++] = r->seed;
	return (0);
}

/* The header's cells joined, to compare the campaigns of the files. */
static char *
cells_key(json_object *o)
{
	json_object *a;
	size_t len = 1, n;
	char *k;

	if (!json_object_object_get_ex(o, "cells", &a) || a == NULL ||
	    !json_object_is_type(a, json_type_array))
		return (NULL);
	n = json_object_array_length(a);
	for (size_t i = 0; i < n; i++)
		len += strlen(json_object_get_string(
		    json_object_array_get_idx(a, i))) + 1;
	if ((k = malloc(len)) == NULL)
		return (NULL);
	k[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		strcat(k, json_object_get_string(json_object_array_get_idx(a,
		    i)));
		strcat(k, ",");
	}
	return (k);
}

int
vt_merge_main(int argc, char **argv)
{
	static bool have[MG_MAX_SHARDS];
	struct vt_camp_agg agg;
	struct seen seen;
	char *key = NULL, *line = NULL;
	size_t cap = 0;
	uint64_t nshards = 0, dups = 0, files = 0;
	double wall = 0;
	int rc = VT_EXIT_USAGE;

	if (argc < 1 || strcmp(argv[0], "-h") == 0 ||
	    strcmp(argv[0], "--help") == 0) {
		fprintf(argc < 1 ? stderr : stdout, "usage: vmtorture merge "
		    "FILE.jsonl...\n"
		    "  Folds the JSON lines of campaign shards into one report: "
		    "the cells' runs,\n"
		    "  failures and lowest failing seeds, the de-duplicated "
		    "signatures with their\n"
		    "  shortest reproducers.  Exit: 0 no failure, 1 failures, 2 "
		    "bad input.\n");
		return (argc < 1 ? VT_EXIT_USAGE : VT_EXIT_PASS);
	}
	memset(&agg, 0, sizeof (agg));
	memset(&seen, 0, sizeof (seen));
	memset(have, 0, sizeof (have));
	for (int i = 0; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");
		ssize_t n;
		int lineno = 0;
		bool header = false;

		if (f == NULL) {
			fprintf(stderr, "vmtorture merge: %s: cannot open\n",
			    argv[i]);
			goto out;
		}
		files++;
		while ((n = getline(&line, &cap, f)) > 0) {
			json_object *o;
			const char *type;

			lineno++;
			if (n == 1 && line[0] == '\n')
				continue;
			o = json_tokener_parse(line);
			type = o != NULL ? str_of(o, "type") : NULL;
			if (type == NULL) {
				fprintf(stderr, "vmtorture merge: %s:%d: not a "
				    "campaign JSON line\n", argv[i], lineno);
				json_object_put(o);
				fclose(f);
				goto out;
			}
			if (strcmp(type, "campaign") == 0) {
				char *k = cells_key(o);
				const char *sh = str_of(o, "shard");
				uint64_t si, sn;

				header = true;
				if (k == NULL || (key != NULL &&
				    strcmp(k, key) != 0)) {
					fprintf(stderr, "vmtorture merge: %s:%d: "
					    "%s\n", argv[i], lineno, k == NULL ?
					    "a header without cells" : "another "
					    "campaign (its cells differ)");
					free(k);
					json_object_put(o);
					fclose(f);
					goto out;
				}
				if (key == NULL) {
					key = k;
					for (char *p = strtok(k, ","); p != NULL;
					    p = strtok(NULL, ","))
						(void) vt_camp_agg_cell(&agg, p);
					/* strtok cut key: rebuild it for compares */
					key = cells_key(o);
					free(k);
				} else {
					free(k);
				}
				if (sh != NULL && sscanf(sh, "%" SCNu64 "/%" SCNu64,
				    &si, &sn) == 2 && sn <= MG_MAX_SHARDS &&
				    si < sn) {
					if (nshards != 0 && nshards != sn)
						fprintf(stderr, "vmtorture merge: "
						    "note: %s is shard %s of "
						    "another split\n", argv[i], sh);
					nshards = sn;
					have[si] = true;
				}
			} else if (strcmp(type, "run") == 0) {
				struct vt_camp_run r;
				bool dup;

				if (!header || run_of(o, &r) != 0) {
					fprintf(stderr, "vmtorture merge: %s:%d: %s"
					    "\n", argv[i], lineno, header ?
					    "a run line without cell, seed or "
					    "result" : "a run before the "
					    "campaign header");
					json_object_put(o);
					fclose(f);
					goto out;
				}
				if (seen_add(&seen, &r, &dup) != 0 ||
				    (!dup && vt_camp_agg_add(&agg, &r) != 0)) {
					json_object_put(o);
					fclose(f);
					rc = VT_EXIT_INTERNAL;
					goto out;
				}
				dups += dup;
			} else if (strcmp(type, "end") == 0) {
				double d;

				if (num_of(o, "seconds", &d) && d > wall)
					wall = d;
			}
			json_object_put(o);
		}
		fclose(f);
		if (!header) {
			fprintf(stderr, "vmtorture merge: %s: no campaign header "
			    "line\n", argv[i]);
			goto out;
		}
	}
	printf("merge: %" PRIu64 " files, %" PRIu64 " runs%s\n", files,
	    agg.runs, dups ? " (repeated (cell, seed) runs counted once)" : "");
	for (uint64_t s = 0; s < nshards; s++)
		if (!have[s])
			printf("merge: note: shard %" PRIu64 "/%" PRIu64 " is "
			    "missing\n", s, nshards);
	vt_camp_agg_print(&agg, stdout);
	printf("merge: longest shard %.1f s, %.1f child-seconds in all\n", wall,
	    agg.child_seconds);
	rc = agg.errors ? VT_EXIT_INTERNAL : agg.fails ? VT_EXIT_FAIL :
	    VT_EXIT_PASS;
out:
	free(line);
	free(key);
	free(seen.cell);
	free(seen.seed);
	vt_camp_agg_free(&agg);
	fflush(stdout);
	return (rc);
}
