/*
 * campaign.c - `vmtorture campaign`: a matrix of cells (scenario x option
 * set x strategy) over seeds, in child runs, within a budget or over a
 * fixed seed range, on one shard of N (campaign_spec.c parses it).
 *
 * Harness code (not ported).  The budget rule: every cell is owed an
 * equal share of child-time; the next run goes to the cell that has used
 * the least (the time of cells that stopped goes to the rest); no run
 * starts unless its cell's mean run time so far fits before the budget
 * ends, and a run still going when it ends is killed and not counted.
 * With --seeds every cell runs its seeds in increasing order; at its first
 * failure the higher seeds still running are killed and the lower ones
 * waited for, so the lowest failing seed does not depend on --jobs.
 *
 * Shard I of N runs seed index k of cell c (seed = A + k) when
 * (k + c) mod N = I: every shard gets every cell and 1/N of its seeds, and
 * the union of the shards is the one-process campaign.
 */
#include "run.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <json-c/json.h>

#include "campaign.h"
#include "campaign_spec.h"
#include "child.h"
#include "output.h"

#define CP_OPS		"200"	/* a controlled run's --ops */
#define CP_WATCHDOG	"3"	/* a free run's --watchdog */

struct cp_cell {
	char		name[VT_CAMP_CELL];
	uint64_t	next;		/* its next own seed index (j) */
	uint64_t	started, finished, controlled;
	double		spent;		/* child-seconds of finished runs */
	int		inflight;
	bool		stopped;	/* failed (no --keep-going) or no seeds */
	uint64_t	best;		/* lowest failing seed, UINT64_MAX */
};

struct cp_slot {
	struct vt_child	k;
	int		cell;
	uint64_t	seed;
	bool		killed;		/* by us: not counted */
	bool		cut;		/* its timeout is the budget's end */
	bool		recheck;	/* the second run of a recheck */
	struct vt_config cfg;
	char		words[CS_MAX_WORDS * 3][48];
};

struct cp_state {
	struct cs_spec	s;
	struct cp_cell	*cells;
	int		ncells;
	struct cp_slot	slots[CS_MAX_JOBS];
	struct vt_camp_agg agg;
	FILE		*out;
	char		dir[PATH_MAX];
	double		t0, end, free_secs;
	uint64_t	runs, cut, errors, ctl_runs;
	int		running;
};

/* The seed of cell c's j-th own run on this shard. */
static uint64_t
cell_seed(const struct cp_state *st, int c, uint64_t j)
{
	uint64_t n = st->s.nshards;
	uint64_t off = (st->s.shard + n - (uint64_t)c % n) % n;

	return (st->s.have_seeds ? st->s.lo : 1) + j * n + off;
}

/*
 * The words of cell c at seed (SCENARIO --seed S, the strategy's, the
 * common run options, the option set's; later words win), parsed into
 * cfg.  0, or -1 after the parser's message.
 */
static int
cell_config(struct cp_state *st, int c, uint64_t seed, char (*buf)[48],
    struct vt_config *cfg)
{
	const struct cs_spec *s = &st->s;
	const struct vt_scenario_ops *sc;
	const char *w[CS_MAX_WORDS * 3];
	int scen, o, t, n = 0, b = 0;
	bool sized;

	cs_cell(s, c, &scen, &o, &t);
	sized = cs_has_opt(s, o, "ops") || cs_has_opt(s, o, "duration");
	w[n++] = s->scen[scen];
	w[n++] = "--seed";
	snprintf(buf[b], 48, "%" PRIu64, seed);
	w[n++] = buf[b++];
	if (strcmp(s->strat[t].sched, "free") == 0) {
		if (!sized) {
			w[n++] = "--duration";
			snprintf(buf[b], 48, "%.3g", st->free_secs);
			w[n++] = buf[b++];
		}
		w[n++] = "--watchdog";
		w[n++] = CP_WATCHDOG;
	} else {
		w[n++] = "--sched";
		w[n++] = s->strat[t].sched;
		if (s->strat[t].depth > 0) {
			w[n++] = "--depth";
			snprintf(buf[b], 48, "%" PRIu64, s->strat[t].depth);
			w[n++] = buf[b++];
		}
		if (!sized) {
			w[n++] = "--ops";
			w[n++] = CP_OPS;
		}
	}
	for (int i = 0; i < s->common.nw; i++)
		w[n++] = s->common.words[i];
	for (int i = 0; i < s->opt[o].nw; i++)
		w[n++] = s->opt[o].words[i];
	w[n] = NULL;
	return (vt_config_parse(cfg, &sc, n, (char **)(uintptr_t)w) == 0 ?
	    0 : -1);
}

/* The cell to start next, or -1. */
static int
next_cell(struct cp_state *st, double now)
{
	int best = -1;
	double bscore = 0;

	for (int c = 0; c < st->ncells; c++) {
		struct cp_cell *cl = &st->cells[c];
		double mean, score;

		if (cl->stopped)
			continue;
		if (st->s.have_seeds) {
			if (cell_seed(st, c, cl->next) > st->s.hi)
				continue;	/* its seeds are all started */
			score = (double)cl->started;
		} else {
			mean = cl->finished ? cl->spent / (double)cl->finished :
			    0.05;
			if (now + mean > st->end)
				continue;
			score = cl->spent + mean * cl->inflight;
		}
		if (best < 0 || score < bscore) {
			best = c;
			bscore = score;
		}
	}
	return (best);
}

static int
start_run(struct cp_state *st, struct cp_slot *sl, int j, int c,
    uint64_t seed, bool recheck)
{
	char name[32];
	double tmo;

	if (!recheck && cell_config(st, c, seed, sl->words, &sl->cfg) != 0) {
		fprintf(stderr, "vmtorture campaign: cell %s seed %" PRIu64
		    " does not parse\n", st->cells[c].name, seed);
		return (-1);
	}
	snprintf(name, sizeof (name), "r%d", j);
	if (vt_child_files(&sl->k, st->dir, name) != 0 ||
	    vt_child_start(&sl->k, &sl->cfg) != 0)
		return (-1);
	tmo = st->s.timeout > 0 ? st->s.timeout : sl->cfg.sched ==
	    VT_SCHED_FREE ? st->free_secs + 20 : 60;
	sl->cut = !st->s.have_seeds && sl->k.started + tmo > st->end;
	sl->k.timeout = sl->cut ? st->end - sl->k.started : tmo;
	sl->cell = c;
	sl->seed = seed;
	sl->killed = false;
	sl->recheck = recheck;
	st->cells[c].inflight++;
	st->running++;
	return (0);
}

/* The record of a finished run. */
static void
make_record(struct cp_state *st, struct cp_slot *sl, int code,
    struct vt_camp_run *r)
{
	struct vt_child_result res;
	int scen, o, t;

	vt_child_result(&sl->k, code, &res);
	memset(r, 0, sizeof (*r));
	cs_cell(&st->s, sl->cell, &scen, &o, &t);
	snprintf(r->cell, sizeof (r->cell), "%s", st->cells[sl->cell].name);
	snprintf(r->strategy, sizeof (r->strategy), "%s", st->s.strat[t].name);
	r->seed = sl->seed;
	r->code = code;
	r->seconds = vt_child_now() - sl->k.started;
	r->steps = res.steps;
	snprintf(r->hash, sizeof (r->hash), "%s", res.trace_hash);
	if (res.replay[0] != '\0')
		snprintf(r->replay, sizeof (r->replay), "%s", res.replay);
	else
		vt_config_cmdline(&sl->cfg, false, r->replay,
		    sizeof (r->replay));
	if (code == VT_EXIT_PASS) {
		snprintf(r->result, sizeof (r->result), "pass");
		return;
	}
	if (code == VT_EXIT_USAGE || code == VT_EXIT_INTERNAL || code < 0) {
		snprintf(r->result, sizeof (r->result), "error");
		snprintf(r->check, sizeof (r->check), "%s", res.check);
		return;
	}
	snprintf(r->result, sizeof (r->result), "%s",
	    code == VT_CHILD_TIMEOUT ? "timeout" : code == VT_EXIT_HANG ?
	    "hang" : "fail");
	snprintf(r->check, sizeof (r->check), "%s", res.check);
	vt_camp_signature(r->check, res.message, sl->k.err, r->sig,
	    sizeof (r->sig));
}

/* A run ended: record it, and stop its cell at a failure. */
static int
run_done(struct cp_state *st, struct cp_slot *sl, int code)
{
	struct cp_cell *cl = &st->cells[sl->cell];
	struct vt_camp_run r;

	cl->inflight--;
	st->running--;
	if (sl->killed || (sl->cut && code == VT_CHILD_TIMEOUT)) {
		st->cut += sl->cut && !sl->killed;
		vt_child_cleanup(&sl->k);
		return (0);
	}
	make_record(st, sl, code, &r);
	cl->finished++;
	cl->spent += r.seconds;
	st->runs++;
	if (strcmp(r.result, "error") == 0) {
		char line[1024];

		vt_child_first_error(&sl->k, line, sizeof (line));
		fprintf(stderr, "vmtorture campaign: %s seed %" PRIu64 ": the "
		    "run could not run (exit %d)%s%s\n", cl->name, sl->seed,
		    code, line[0] ? ": " : "", line);
		st->errors++;
	}
	vt_child_cleanup(&sl->k);
	if (vt_camp_write_run(st->out, &r) != 0 ||
	    vt_camp_agg_add(&st->agg, &r) != 0) {
		fprintf(stderr, "vmtorture campaign: %s: write error\n",
		    st->s.out);
		return (-1);
	}
	if (vt_camp_is_failure(&r) && sl->seed < cl->best) {
		cl->best = sl->seed;
		if (!st->s.keep_going) {
			cl->stopped = true;
			/* Higher seeds cannot be the lowest: stop them. */
			for (uint64_t j = 0; j < st->s.jobs; j++) {
				struct cp_slot *o = &st->slots[j];

				if (o->k.pid != 0 && o->cell == sl->cell &&
				    o->seed > sl->seed && !o->killed) {
					(void) kill(o->k.pid, SIGKILL);
					o->killed = true;
				}
			}
		}
	}
	return (0);
}

static void
write_header(struct cp_state *st)
{
	json_object *o = json_object_new_object(), *cells = json_object_new_array();

	json_object_object_add(o, "type", json_object_new_string("campaign"));
	json_object_object_add(o, "version", json_object_new_string(
	    vt_version()));
	json_object_object_add(o, "shard", json_object_new_string(
	    st->s.shard_text));
	json_object_object_add(o, "jobs", json_object_new_uint64(st->s.jobs));
	if (st->s.have_seeds) {
		char r[48];

		snprintf(r, sizeof (r), "%" PRIu64 "-%" PRIu64, st->s.lo,
		    st->s.hi);
		json_object_object_add(o, "seeds", json_object_new_string(r));
	} else {
		json_object_object_add(o, "budget", json_object_new_double(
		    st->s.budget));
	}
	json_object_object_add(o, "keep_going", json_object_new_boolean(
	    st->s.keep_going));
	for (int c = 0; c < st->ncells; c++)
		json_object_array_add(cells, json_object_new_string(
		    st->cells[c].name));
	json_object_object_add(o, "cells", cells);
	fprintf(st->out, "%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(st->out);
	json_object_put(o);
}

static void
write_end(struct cp_state *st, double secs)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string("end"));
	json_object_object_add(o, "shard", json_object_new_string(
	    st->s.shard_text));
	json_object_object_add(o, "runs", json_object_new_uint64(st->runs));
	json_object_object_add(o, "cut", json_object_new_uint64(st->cut));
	json_object_object_add(o, "seconds", json_object_new_double(
	    (double)(int64_t)(secs * 1000 + 0.5) / 1000));
	fprintf(st->out, "%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(st->out);
	json_object_put(o);
}

/* Check every cell's configuration once: a bad one is a usage error. */
static int
validate(struct cp_state *st)
{
	for (int c = 0; c < st->ncells; c++) {
		struct vt_config cfg;
		char buf[CS_MAX_WORDS * 3][48];

		cs_cell_name(&st->s, c, st->cells[c].name,
		    sizeof (st->cells[c].name));
		st->cells[c].best = UINT64_MAX;
		if (cell_config(st, c, 1, buf, &cfg) != 0)
			return (-1);	/* the parser said why, in one line */
		if (vt_camp_agg_cell(&st->agg, st->cells[c].name) != 0)
			return (-1);
	}
	return (0);
}

int
vt_campaign_main(int argc, char **argv)
{
	static struct cp_state st;
	struct vt_child *kids[CS_MAX_JOBS];
	double secs;
	int prc, rc = VT_EXIT_PASS;

	memset(&st, 0, sizeof (st));
	prc = cs_parse(&st.s, argc, argv);
	if (prc != 0)
		return (prc > 0 ? VT_EXIT_PASS : VT_EXIT_USAGE);
	st.ncells = cs_ncells(&st.s);
	st.cells = calloc((size_t)st.ncells, sizeof (*st.cells));
	if (st.cells == NULL)
		return (VT_EXIT_INTERNAL);
	/* A free run's length: a quarter of a cell's share, 0.25-1 s. */
	st.free_secs = st.s.have_seeds ? 0.5 : fmin(1.0, fmax(0.25,
	    st.s.budget * (double)st.s.jobs / st.ncells / 4));
	if (validate(&st) != 0) {
		rc = VT_EXIT_USAGE;
		goto out0;
	}
	if (vt_output_check("--out", st.s.out) != 0 ||
	    (st.out = fopen(st.s.out, "w")) == NULL) {
		if (st.out == NULL)
			fprintf(stderr, "vmtorture campaign: --out %s: cannot "
			    "write\n", st.s.out);
		rc = VT_EXIT_USAGE;
		goto out0;
	}
	if (vt_child_tmpdir(st.dir, sizeof (st.dir)) != 0) {
		rc = VT_EXIT_INTERNAL;
		goto out1;
	}
	printf("campaign: %d cells (%d scenarios x %d option sets x %d "
	    "strategies), %s, %" PRIu64 " jobs, shard %s, out %s\n", st.ncells,
	    st.s.nscen, st.s.nopt, st.s.nstrat, st.s.have_seeds ? "seeds" :
	    "budget", st.s.jobs, st.s.shard_text, st.s.out);
	if (st.s.have_seeds)
		printf("campaign: seeds %" PRIu64 "-%" PRIu64 " of every cell%s"
		    "\n", st.s.lo, st.s.hi, st.s.keep_going ? ", all of them" :
		    ", to its first failure");
	else
		printf("campaign: budget %.0f s: %.2f child-seconds per cell, "
		    "least-spent cell first; free runs of %.3g s\n", st.s.budget,
		    st.s.budget * (double)st.s.jobs / st.ncells, st.free_secs);
	fflush(stdout);
	write_header(&st);
	for (uint64_t j = 0; j < st.s.jobs; j++)
		kids[j] = &st.slots[j].k;
	st.t0 = vt_child_now();
	st.end = st.t0 + st.s.budget;
	for (;;) {
		int j, code;

		for (j = 0; j < (int)st.s.jobs; j++) {
			int c;

			if (st.slots[j].k.pid != 0)
				continue;
			c = next_cell(&st, vt_child_now());
			if (c < 0)
				break;
			if (start_run(&st, &st.slots[j], j, c,
			    cell_seed(&st, c, st.cells[c].next), false) != 0) {
				rc = VT_EXIT_INTERNAL;
				goto out;
			}
			st.cells[c].next++;
			st.cells[c].started++;
		}
		if (st.running == 0)
			break;
		j = vt_child_wait_any(kids, st.s.jobs, &code);
		if (j < 0) {
			rc = VT_EXIT_INTERNAL;
			goto out;
		}
		if (run_done(&st, &st.slots[j], code) != 0) {
			rc = VT_EXIT_INTERNAL;
			goto out;
		}
	}
	secs = vt_child_now() - st.t0;
	write_end(&st, secs);
	vt_camp_agg_print(&st.agg, stdout);
	printf("campaign: %" PRIu64 " runs in %.1f s (%.2f runs/s at --jobs %"
	    PRIu64 ")%s, shard %s; JSON lines in %s\n", st.runs, secs,
	    secs > 0 ? (double)st.runs / secs : 0.0, st.s.jobs,
	    st.cut ? " (runs cut by the budget's end not counted)" : "",
	    st.s.shard_text, st.s.out);
	rc = st.errors ? VT_EXIT_INTERNAL : st.agg.fails ? VT_EXIT_FAIL :
	    VT_EXIT_PASS;
out:
	for (uint64_t j = 0; j < st.s.jobs; j++)
		if (st.slots[j].k.pid != 0) {
			(void) kill(st.slots[j].k.pid, SIGKILL);
			(void) waitpid(st.slots[j].k.pid, NULL, 0);
			vt_child_cleanup(&st.slots[j].k);
		}
	vt_child_rmdir(st.dir);
out1:
	if (fclose(st.out) != 0 && rc == VT_EXIT_PASS)
		rc = VT_EXIT_INTERNAL;
out0:
	vt_camp_agg_free(&st.agg);
	free(st.cells);
	fflush(stdout);
	return (rc);
}
