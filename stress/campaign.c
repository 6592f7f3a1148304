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
 *
 * Determinism self-check (--recheck N, default 10): seeds A, A+N, ... of
 * every controlled cell run twice; the two runs must end with the same
 * exit code, check, step count and trace hash, or the campaign reports a
 * harness bug and exits 4.  Hand-off: a cell's first failure in free mode
 * is searched for in controlled mode (same scenario, seed and options;
 * scheduler seeds 1..--handoff-seeds, pct at depth 3 and random in turn,
 * at most half the jobs); a run failing the same check is shrunk
 * (campaign_handoff.c) and its exact replay line reported.
 */
#include "campaign_state.h"

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

#include "output.h"

#define CP_OPS		"200"	/* a controlled run's --ops */
#define CP_WATCHDOG	"3"	/* a free run's --watchdog */


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
int
cp_cell_config(struct cp_state *st, int c, uint64_t seed,
    const struct cs_strategy *strat, uint64_t sched_seed, char (*buf)[48],
    struct vt_config *cfg)
{
	const struct cs_spec *s = &st->s;
	const struct vt_scenario_ops *sc;
	const char *w[CS_MAX_WORDS * 3];
	int scen, o, t, n = 0, b = 0;
	bool sized;

	cs_cell(s, c, &scen, &o, &t);
	if (strat == NULL)
		strat = &s->strat[t];
	sized = cs_has_opt(s, o, "ops") || cs_has_opt(s, o, "duration");
	w[n++] = s->scen[scen];
	w[n++] = "--seed";
	snprintf(buf[b], 48, "%" PRIu64, seed);
	w[n++] = buf[b++];
	if (sched_seed != 0) {
		w[n++] = "--sched-seed";
		snprintf(buf[b], 48, "%" PRIu64, sched_seed);
		w[n++] = buf[b++];
	}
	if (strcmp(strat->sched, "free") == 0) {
		if (!sized) {
			w[n++] = "--duration";
			snprintf(buf[b], 48, "%.3g", st->free_secs);
			w[n++] = buf[b++];
		}
		w[n++] = "--watchdog";
		w[n++] = CP_WATCHDOG;
	} else {
		w[n++] = "--sched";
		w[n++] = strat->sched;
		if (strat->depth > 0) {
			w[n++] = "--depth";
			snprintf(buf[b], 48, "%" PRIu64, strat->depth);
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

int
cp_start(struct cp_state *st, int j)
{
	struct cp_slot *sl = &st->slots[j];
	char name[32];
	double tmo;

	snprintf(name, sizeof (name), "r%d", j);
	if (vt_child_files(&sl->k, st->dir, name) != 0 ||
	    vt_child_start(&sl->k, &sl->cfg) != 0)
		return (-1);
	tmo = st->s.timeout > 0 ? st->s.timeout : sl->cfg.sched ==
	    VT_SCHED_FREE ? st->free_secs + 20 : 60;
	sl->cut = !st->s.have_seeds && sl->k.started + tmo > st->end;
	sl->k.timeout = sl->cut ? fmax(0.01, st->end - sl->k.started) : tmo;
	sl->killed = false;
	st->running++;
	return (0);
}

/* Start cell c's run at seed in slot j. */
static int
start_run(struct cp_state *st, int j, int c, uint64_t seed)
{
	struct cp_slot *sl = &st->slots[j];

	if (cp_cell_config(st, c, seed, NULL, 0, sl->words, &sl->cfg) != 0) {
		fprintf(stderr, "vmtorture campaign: cell %s seed %" PRIu64
		    " does not parse\n", st->cells[c].name, seed);
		return (-1);
	}
	sl->kind = CP_RUN;
	sl->cell = c;
	sl->seed = seed;
	if (cp_start(st, j) != 0)
		return (-1);
	st->cells[c].inflight++;
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

/*
 * Is the run just finished in sl due for the determinism self-check?
 * Seeds A, A+N, ... of a controlled cell (the same on every shard count),
 * when a run of its length still fits in the budget.
 */
static bool
recheck_due(const struct cp_state *st, const struct cp_slot *sl,
    const struct vt_camp_run *r)
{
	uint64_t base = st->s.have_seeds ? st->s.lo : 1;

	return (st->s.recheck > 0 && sl->cfg.sched != VT_SCHED_FREE &&
	    strcmp(r->result, "error") != 0 && r->hash[0] != '\0' &&
	    (sl->seed - base) % st->s.recheck == 0 &&
	    (st->s.have_seeds || vt_child_now() + r->seconds < st->end));
}

/* The second run of a recheck ended: compare it with the first. */
static int
recheck_done(struct cp_state *st, struct cp_slot *sl, int code)
{
	struct vt_camp_run r;
	bool same;

	st->running--;
	if (sl->killed || (sl->cut && code == VT_CHILD_TIMEOUT)) {
		vt_child_cleanup(&sl->k);
		return (0);
	}
	make_record(st, sl, code, &r);
	vt_child_cleanup(&sl->k);
	same = r.code == sl->first_code && r.steps == sl->first_steps &&
	    strcmp(r.check, sl->first_check) == 0 &&
	    strcmp(r.hash, sl->first_hash) == 0;
	st->rechecks++;
	r.note = same ? "recheck" : "recheck-mismatch";
	if (!same) {
		st->nondet++;
		fprintf(stderr, "vmtorture campaign: HARNESS BUG: controlled mode "
		    "is not deterministic: %s seed %" PRIu64 " ran twice: exit %d"
		    " (%s) at %" PRIu64 " steps, trace hash %s; then exit %d (%s) "
		    "at %" PRIu64 " steps, trace hash %s: %s\n", r.cell, r.seed,
		    sl->first_code, sl->first_check[0] ? sl->first_check : "pass",
		    sl->first_steps, sl->first_hash, r.code, r.check[0] ?
		    r.check : "pass", r.steps, r.hash, r.replay);
	}
	return (vt_camp_write_run(st->out, &r));
}

/* A run ended: record it, stop its cell at a failure, recheck it. */
static int
run_done(struct cp_state *st, int j, int code)
{
	struct cp_slot *sl = &st->slots[j];
	struct cp_cell *cl = &st->cells[sl->cell];
	struct vt_camp_run r;

	if (sl->kind == CP_HANDOFF)
		return (cp_handoff_done(st, sl, code));
	if (sl->kind == CP_RECHECK)
		return (recheck_done(st, sl, code));
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
	if (vt_camp_is_failure(&r) && sl->cfg.sched == VT_SCHED_FREE)
		cp_handoff_note(st, sl->cell, &r);
	if (vt_camp_is_failure(&r) && sl->seed < cl->best) {
		cl->best = sl->seed;
		if (!st->s.keep_going) {
			cl->stopped = true;
			/* Higher seeds cannot be the lowest: stop them. */
			for (uint64_t i = 0; i < st->s.jobs; i++) {
				struct cp_slot *o = &st->slots[i];

				if (o->k.pid != 0 && o->kind == CP_RUN &&
				    o->cell == sl->cell && o->seed > sl->seed &&
				    !o->killed) {
					(void) kill(o->k.pid, SIGKILL);
					o->killed = true;
				}
			}
		}
	}
	if (recheck_due(st, sl, &r)) {
		/* The same configuration again, in the same slot. */
		sl->kind = CP_RECHECK;
		sl->first_code = r.code;
		sl->first_steps = r.steps;
		snprintf(sl->first_check, sizeof (sl->first_check), "%s",
		    r.check);
		snprintf(sl->first_hash, sizeof (sl->first_hash), "%s", r.hash);
		/* Test hook: a perturbed second run must be reported. */
		if (getenv("VMTORTURE_TEST_RECHECK_PERTURB") != NULL)
			sl->cfg.sched_seed++;
		if (cp_start(st, j) != 0)
			return (-1);
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
	json_object_object_add(o, "seconds", vt_camp_json_secs(secs));
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
		st->cells[c].handoff = -1;
		if (cp_cell_config(st, c, 1, NULL, 0, buf, &cfg) != 0)
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
	st.ho = calloc((size_t)st.ncells, sizeof (*st.ho));
	if (st.cells == NULL || st.ho == NULL) {
		free(st.cells);
		free(st.ho);
		return (VT_EXIT_INTERNAL);
	}
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
			int c, h;

			if (st.slots[j].k.pid != 0)
				continue;
			/* Hand-offs first, on at most half the jobs. */
			if ((h = cp_handoff_start(&st, j)) < 0) {
				rc = VT_EXIT_INTERNAL;
				goto out;
			}
			if (h > 0)
				continue;
			c = next_cell(&st, vt_child_now());
			if (c < 0)
				continue;
			if (start_run(&st, j, c, cell_seed(&st, c,
			    st.cells[c].next)) != 0) {
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
		if (run_done(&st, j, code) != 0) {
			rc = VT_EXIT_INTERNAL;
			goto out;
		}
	}
	secs = vt_child_now() - st.t0;
	cp_handoff_finish(&st);
	write_end(&st, secs);
	vt_camp_agg_print(&st.agg, stdout);
	if (st.rechecks > 0)
		printf("determinism: %" PRIu64 " controlled runs run twice, %"
		    PRIu64 " differed%s\n", st.rechecks, st.nondet, st.nondet ?
		    " (HARNESS BUG: see stderr)" : "");
	printf("campaign: %" PRIu64 " runs in %.1f s (%.2f runs/s at --jobs %"
	    PRIu64 ")%s, shard %s; JSON lines in %s\n", st.runs, secs,
	    secs > 0 ? (double)st.runs / secs : 0.0, st.s.jobs,
	    st.cut ? " (runs cut by the budget's end not counted)" : "",
	    st.s.shard_text, st.s.out);
	rc = st.errors || st.nondet ? VT_EXIT_INTERNAL : st.agg.fails ? VT_EXIT_FAIL :
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
	free(st.ho);
	fflush(stdout);
	return (rc);
}
