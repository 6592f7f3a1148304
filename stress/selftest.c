/*
 * selftest.c - `vmtorture selftest`: prove that the harness catches every
 * mutant of the bug catalogue (base/inject.h) and raises no false alarm.
 *
 *   selftest [--budget T] [--only NAME[,NAME...]] [--jobs N] [--json FILE]
 *
 * Harness code (not ported).  Every mutant gets the same blind campaign,
 * not tuned to it: two tracks over the built-in scenarios that load the
 * mutant's subsystem (all of them for mutants of the locks), in `list`
 * order and over successive seeds,
 *   free:        SCENARIO --seed S --duration D --threads 4 --watchdog 3
 *   controlled:  SCENARIO --seed S --sched random|pct --ops 200
 * (controlled cells alternate random and pct), every other round with small
 * tables and simulated MMUs where the scenario has the HAT (--hment-hash-size
 * 64, 16 locks per lock table: more collisions on every hashed lock and
 * bucket; --mmu 2: walkers setting REF/MOD under the port), each track
 * until its first catch or until its share of the budget is spent.  A catch is a run that
 * ends in FAIL (exit 1) or a hang (exit 3): the check it names is what
 * caught the mutant.  Each controlled-mode catch is then run again from its
 * printed replay line, and counts as replaying exactly when the check, the
 * failing step and the trace hash agree.  A control campaign, the same
 * cells without any mutant, must pass every run.  The `busted` lock back
 * end takes part as the catalogue's canary (`--lock busted`).
 *
 * The budget is wall-clock: no cell starts after it has passed.  Until
 * then the next cell goes to the unfinished track that has used the fewest
 * child-seconds, so the time of mutants caught early goes to the hard ones.
 * The control stops once every mutant is done and it has run two rounds of
 * its cells (both table sizes) in each track.  Exit 0 when every mutant is caught
 * and the control passed, 1 otherwise, 2 for bad options, 4 when the
 * harness itself failed (a child that could not start, an output file).
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
#include <unistd.h>

#include <json-c/json.h>

#include "child.h"
#include "output.h"
#include "subsys.h"
#include "../base/inject.h"

#define ST_MAX_JOBS	64
#define ST_MAX_SCEN	32
#define ST_FREE_SECS	1.0	/* a free cell's --duration (at most) */
#define ST_OPS		"200"	/* a controlled cell's --ops */
#define ST_WATCHDOG	"3"

enum { TR_FREE, TR_CTRL, TR_N };

/* One subject: a mutant, the busted back end, or the control. */
struct subject {
	const char	*name;		/* mutant name, "busted", "control" */
	int		mutant;		/* index, or -1 */
	bool		busted;		/* --lock busted instead of --inject */
	const struct vt_scenario_ops *scen[ST_MAX_SCEN];
	int		nscen;
	/* Per track. */
	struct track {
		uint64_t	next;		/* next cell */
		double		spent;		/* child-seconds used */
		bool		running;
		bool		done;		/* caught, or budget spent */
		bool		caught;
		bool		error;		/* a harness failure */
		uint64_t	runs;
		double		to_detect;	/* child-seconds up to the catch */
		uint64_t	steps;		/* failing step (controlled) */
		char		check[64];
		char		cell[320];	/* the catching cell's words */
		char		replay[2048];
		char		hash[24];
		char		note[200];	/* a non-catch worth reporting */
	} tr[TR_N];
	int		replays;	/* -1 not tried, 0 no, 1 yes */
};

struct slot {
	struct vt_child	k;		/* k.pid 0: free */
	int		subj, track;
	double		timeout;
	char		cell[320];
	bool		replay;		/* a replay of a controlled catch */
};

static void
st_usage(FILE *f)
{
	fprintf(f, "usage: vmtorture selftest [--budget T] [--only NAME[,NAME...]] "
	    "[--jobs N] [--json FILE]\n"
	    "  Runs the same blind campaign (free and controlled mode over the "
	    "built-in\n"
	    "  scenarios) for every mutant of the bug catalogue (`vmtorture "
	    "list`) and for\n"
	    "  the busted lock back end, then replays every controlled-mode "
	    "catch; a\n"
	    "  control campaign without mutants must pass.  --budget (default "
	    "60s) is\n"
	    "  wall-clock for the whole campaign; --jobs (default: online CPUs) "
	    "runs that\n"
	    "  many children at once.\n"
	    "  Exit: 0 every mutant caught and the control passed, 1 otherwise, "
	    "2 usage.\n");
}

/* Does sc load subsystem name? */
static bool
scen_has(const struct vt_scenario_ops *sc, const char *name)
{
	for (int i = 0; sc->subsys != NULL && sc->subsys[i] != NULL; i++)
		if (strcmp(sc->subsys[i]->name, name) == 0)
			return (true);
	return (false);
}

/*
 * True if scenario sc targets subsystem name: names it last (the ones
 * before are what it runs on, e.g. vpm-flip boots the HAT for kpm
 * mappings but drives vpm).
 */
static bool
scen_targets(const struct vt_scenario_ops *sc, const char *name)
{
	int n = 0;

	while (sc->subsys != NULL && sc->subsys[n] != NULL)
		n++;
	return (n > 0 && strcmp(sc->subsys[n - 1]->name, name) == 0);
}

/*
 * Mutants whose code only one scenario reaches with options of its own:
 * the scenario and the words every cell of theirs adds.
 */
static const struct {
	const char	*mutant;
	const char	*scenario;
	bool		ctl_only;	/* its free track is not run */
	const char	*words[10];
} needs[] = {
	/*
	 * The write-protect pass runs only on VMODSORT pages' write-backs
	 * (the page daemon of pageunload, with CPUs); few hats and pages
	 * make a CPU's stale clean entry meet one (controlled: 1 in 10 cells;
	 * free: about once in 10 s, longer than a free cell, so the free
	 * track would only take time from the others).
	 */
	{ "x86pte-update-no-stale-check", "pageunload", true,
	    { "--mmu", "2", "--vmodsort", "on", "--hats", "2",
	    "--shared-pages", "4", NULL } },
};

/* needs[] row of subject s, or -1. */
static int
needs_of(const struct subject *s)
{
	if (s->mutant < 0)
		return (-1);
	for (size_t i = 0; i < sizeof (needs) / sizeof (needs[0]); i++)
		if (strcmp(needs[i].mutant,
		    vt_mutant_table[s->mutant].name) == 0)
			return ((int)i);
	return (-1);
}

/*
 * The scenarios subject s runs: those that target the subsystem its code
 * is in (every scenario for the locks and the control), or its needs[]
 * scenario.
 */
static void
pick_scenarios(struct subject *s)
{
	const struct vt_scenario_ops *const *all = vt_engine_scenarios();
	const char *ss = s->mutant >= 0 ? vt_mutant_table[s->mutant].subsys :
	    "locks";
	int nd = needs_of(s);

	s->nscen = 0;
	for (int i = 0; all[i] != NULL && s->nscen < ST_MAX_SCEN; i++) {
		if (all[i]->test_only)
			continue;
		if (nd >= 0 && strcmp(all[i]->name, needs[nd].scenario) != 0)
			continue;
		if (strcmp(ss, "locks") == 0 || scen_targets(all[i], ss))
			s->scen[s->nscen++] = all[i];
	}
}

/*
 * The words of cell n of track t for subject s (a scenario, then its
 * options), into w (NULL-terminated) with storage in buf.  Returns the
 * number of words.
 */
static int
cell_words(const struct subject *s, int t, uint64_t n, double free_secs,
    char buf[][48], const char **w)
{
	const struct vt_scenario_ops *sc;
	uint64_t seed, ns = (uint64_t)s->nscen, round;
	int k = 0, nd;

	if (t == TR_FREE) {
		sc = s->scen[n % ns];
		round = n / ns;
	} else {
		sc = s->scen[(n / 2) % ns];
		round = n / (2 * ns);
	}
	seed = 1 + round / 2;
	w[k++] = sc->name;
	w[k++] = "--seed";
	snprintf(buf[0], sizeof (buf[0]), "%" PRIu64, seed);
	w[k++] = buf[0];
	if (t == TR_FREE) {
		w[k++] = "--duration";
		snprintf(buf[1], sizeof (buf[1]), "%.3g", free_secs);
		w[k++] = buf[1];
		w[k++] = "--threads";
		w[k++] = "4";
		w[k++] = "--watchdog";
		w[k++] = ST_WATCHDOG;
	} else {
		w[k++] = "--sched";
		w[k++] = (n % 2 == 0) ? "random" : "pct";
		w[k++] = "--ops";
		w[k++] = ST_OPS;
	}
	if (round % 2 == 1 && scen_has(sc, "hat")) {
		static const char *const small[] = { "--hment-hash-size", "64",
		    "--mlist-locks", "16", "--hash-locks", "16",
		    "--htable-locks", "16", "--mmu", "2" };

		for (size_t i = 0; i < sizeof (small) / sizeof (small[0]); i++)
			w[k++] = small[i];
	}
	if ((nd = needs_of(s)) >= 0)
		for (const char *const *x = needs[nd].words; *x != NULL; x++)
			w[k++] = *x;
	if (s->mutant >= 0) {
		w[k++] = "--inject";
		w[k++] = vt_mutant_table[s->mutant].name;
	}
	if (s->busted) {
		w[k++] = "--lock";
		w[k++] = "busted";
	}
	w[k] = NULL;
	return (k);
}

/* Parse words into c (quietly); 0, or -1 after the parser's message. */
static int
parse_words(int n, const char **w, struct vt_config *c)
{
	const struct vt_scenario_ops *sc;

	return (vt_config_parse(c, &sc, n, (char **)(uintptr_t)w) == 0 ? 0 :
	    -1);
}

static bool
is_catch(const struct vt_child_result *r)
{
	return (r->code == VT_EXIT_FAIL || r->code == VT_EXIT_HANG);
}

/* Record a finished cell of (s, t). */
static void
cell_done(struct subject *s, int t, const struct slot *sl,
    const struct vt_child_result *r, double secs)
{
	struct track *tr = &s->tr[t];

	tr->running = false;
	tr->runs++;
	tr->spent += secs;
	if (is_catch(r)) {
		tr->caught = true;
		tr->done = true;
		tr->to_detect = tr->spent;
		tr->steps = r->step;
		snprintf(tr->check, sizeof (tr->check), "%s",
		    r->check[0] ? r->check : (r->code == VT_EXIT_HANG ?
		    "hang" : "fail"));
		snprintf(tr->cell, sizeof (tr->cell), "%s", sl->cell);
		snprintf(tr->replay, sizeof (tr->replay), "%s", r->replay);
		snprintf(tr->hash, sizeof (tr->hash), "%s", r->trace_hash);
		return;
	}
	if (r->code != VT_EXIT_PASS) {
		/* Not a catch: a timeout, a crash without report, an error. */
		snprintf(tr->note, sizeof (tr->note), "%s: exit %d (%s)",
		    sl->cell, r->code, r->check[0] ? r->check : "no report");
		if (r->code == VT_EXIT_USAGE || r->code == VT_EXIT_INTERNAL ||
		    r->code < 0) {
			tr->error = true;
			tr->done = true;
			return;
		}
	}
}

/*
 * The track to run next: the unfinished, idle one that has used the least
 * time (the control only while a mutant is still going or it has not run
 * its two rounds).  -1 when none.
 */
static int
next_track(struct subject *subj, int nsubj, int *track)
{
	bool mutants_left = false;
	int best = -1;

	for (int i = 0; i < nsubj; i++)
		if (subj[i].mutant >= 0 || subj[i].busted)
			for (int t = 0; t < TR_N; t++)
				mutants_left |= !subj[i].tr[t].done;
	for (int i = 0; i < nsubj; i++) {
		bool ctl = subj[i].mutant < 0 && !subj[i].busted;

		for (int t = 0; t < TR_N; t++) {
			struct track *tr = &subj[i].tr[t];
			uint64_t round = (uint64_t)subj[i].nscen * 2 *
			    (t == TR_CTRL ? 2 : 1);

			if (ctl && !mutants_left && tr->next >= 2 * round)
				tr->done = !tr->running;
			if (tr->done || tr->running)
				continue;
			if (best < 0 || tr->spent < subj[best / TR_N].tr[best %
			    TR_N].spent)
				best = i * TR_N + t;
		}
	}
	if (best >= 0)
		*track = best % TR_N;
	return (best < 0 ? -1 : best / TR_N);
}

/* The track that caught s first (by child-seconds), else the free one. */
static const struct track *
first_catch(const struct subject *s)
{
	const struct track *f = &s->tr[TR_FREE], *c = &s->tr[TR_CTRL];

	return ((c->caught && (!f->caught || c->to_detect <= f->to_detect)) ?
	    c : f);
}

static json_object *
track_json(const struct track *tr, bool ctrl)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "caught", json_object_new_boolean(tr->caught));
	json_object_object_add(o, "runs", json_object_new_int64(
	    (int64_t)tr->runs));
	json_object_object_add(o, "seconds", json_object_new_double(
	    tr->caught ? tr->to_detect : tr->spent));
	if (tr->caught) {
		json_object_object_add(o, "check",
		    json_object_new_string(tr->check));
		json_object_object_add(o, "cell", json_object_new_string(tr->cell));
		if (ctrl) {
			json_object_object_add(o, "steps", json_object_new_int64(
			    (int64_t)tr->steps));
			json_object_object_add(o, "replay",
			    json_object_new_string(tr->replay));
		}
	}
	if (tr->note[0])
		json_object_object_add(o, "note", json_object_new_string(tr->note));
	return (o);
}

static int
write_json(const char *path, struct subject *subj, int n, double budget,
    double wall, bool pass)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();
	const char *text;
	int rc;

	json_object_object_add(root, "version", json_object_new_string(
	    vt_version()));
	json_object_object_add(root, "budget", json_object_new_double(budget));
	json_object_object_add(root, "seconds", json_object_new_double(wall));
	for (int i = 0; i < n; i++) {
		struct subject *s = &subj[i];
		const struct track *f = &s->tr[TR_FREE], *c = &s->tr[TR_CTRL];
		const struct track *first = first_catch(s);
		json_object *o = json_object_new_object();
		bool ctl = s->mutant < 0 && !s->busted;

		json_object_object_add(o, "name", json_object_new_string(s->name));
		if (s->mutant >= 0) {
			const struct vt_mutant_info *mi = &vt_mutant_table[s->mutant];

			json_object_object_add(o, "subsystem",
			    json_object_new_string(mi->subsys));
			json_object_object_add(o, "function",
			    json_object_new_string(mi->func));
			json_object_object_add(o, "kind",
			    json_object_new_string(mi->kind));
			json_object_object_add(o, "expected",
			    json_object_new_string(mi->check));
			json_object_object_add(o, "removes",
			    json_object_new_string(mi->desc));
		}
		if (ctl) {
			json_object_object_add(o, "passed", json_object_new_boolean(
			    !f->caught && !c->caught && !f->error && !c->error));
		} else {
			json_object_object_add(o, "caught", json_object_new_boolean(
			    f->caught || c->caught));
			json_object_object_add(o, "check", first->caught ?
			    json_object_new_string(first->check) : NULL);
			json_object_object_add(o, "seconds", json_object_new_double(
			    first->caught ? first->to_detect : f->spent + c->spent));
			json_object_object_add(o, "steps", c->caught ?
			    json_object_new_int64((int64_t)c->steps) : NULL);
			json_object_object_add(o, "replays_exactly", s->replays < 0 ?
			    NULL : json_object_new_boolean(s->replays == 1));
		}
		json_object_object_add(o, "free", track_json(f, false));
		json_object_object_add(o, "controlled", track_json(c, true));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "subjects", arr);
	json_object_object_add(root, "result", json_object_new_string(
	    pass ? "pass" : "fail"));
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY);
	rc = vt_output_write("--json", path, text, strlen(text));
	json_object_put(root);
	return (rc);
}

/* Select subjects: --only names, else every mutant, busted, control. */
static int
build_subjects(const char *only, struct subject *subj, int *n)
{
	bool want[VT_NMUTANTS + 2];
	int k = 0, nd;

	/* --only: each name a mutant or "busted"; the control always runs. */
	for (int m = 0; m < VT_NMUTANTS + 2; m++)
		want[m] = only == NULL || m == VT_NMUTANTS + 1;
	for (const char *p = only; p != NULL && *p != '\0'; ) {
		size_t len = strcspn(p, ",");
		char nm[96];
		int m;

		snprintf(nm, sizeof (nm), "%.*s", (int)len, p);
		m = strcmp(nm, "busted") == 0 ? VT_NMUTANTS : vt_mutant_find(nm);
		if (m < 0) {
			fprintf(stderr, "vmtorture selftest: --only %s: unknown "
			    "mutant (see `vmtorture list`)\n", nm);
			return (-1);
		}
		want[m] = true;
		p += len;
		if (*p == ',')
			p++;
	}
	memset(subj, 0, sizeof (struct subject) * (VT_NMUTANTS + 2));
	for (int m = 0; m < VT_NMUTANTS + 2; m++) {
		if (!want[m])
			continue;
		subj[k].name = m < VT_NMUTANTS ? vt_mutant_table[m].name :
		    m == VT_NMUTANTS ? "busted" : "control";
		subj[k].mutant = m < VT_NMUTANTS ? m : -1;
		subj[k].busted = m == VT_NMUTANTS;
		subj[k].replays = -1;
		pick_scenarios(&subj[k]);
		nd = needs_of(&subj[k]);
		if (nd >= 0 && needs[nd].ctl_only)
			subj[k].tr[TR_FREE].done = true;
		if (subj[k].nscen == 0)
			continue;	/* no scenario reaches its code */
		k++;
	}
	*n = k;
	return (0);
}

int
vt_selftest_main(int argc, char **argv)
{
	static struct subject subj[VT_NMUTANTS + 2];
	struct slot slots[ST_MAX_JOBS];
	const char *only = NULL, *json = NULL, *v;
	double budget = 60, share, free_secs, t0, deadline;
	uint64_t jobs = (uint64_t)sysconf(_SC_NPROCESSORS_ONLN);
	char dir[PATH_MAX];
	int nsubj = 0, running = 0, rc = VT_EXIT_PASS, caught = 0, replayed = 0;
	bool pass = true, control_ok = true, harness_err = false;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			st_usage(stdout);
			return (VT_EXIT_PASS);
		} else if (vt_child_take_opt(argc, argv, &i, "budget", &v)) {
			if (v == NULL || vt_parse_duration(v, &budget) != 0 ||
			    budget < 1 || budget > 86400 * 7) {
				fprintf(stderr, "vmtorture selftest: --budget %s: "
				    "not a duration from 1s to 7d\n", v ? v : "");
				return (VT_EXIT_USAGE);
			}
		} else if (vt_child_take_opt(argc, argv, &i, "jobs", &v)) {
			if (v == NULL || vt_parse_u64(v, &jobs) != 0 || jobs < 1 ||
			    jobs > ST_MAX_JOBS) {
				fprintf(stderr, "vmtorture selftest: --jobs %s: not "
				    "a number from 1 to %d\n", v ? v : "",
				    ST_MAX_JOBS);
				return (VT_EXIT_USAGE);
			}
		} else if (vt_child_take_opt(argc, argv, &i, "only", &v)) {
			if (v == NULL || *v == '\0') {
				fprintf(stderr, "vmtorture selftest: --only: "
				    "missing argument\n");
				return (VT_EXIT_USAGE);
			}
			only = v;
		} else if (vt_child_take_opt(argc, argv, &i, "json", &v)) {
			if (v == NULL || vt_output_check("--json", v) != 0) {
				if (v == NULL)
					fprintf(stderr, "vmtorture selftest: "
					    "--json: missing argument\n");
				return (VT_EXIT_USAGE);
			}
			json = v;
		} else {
			fprintf(stderr, "vmtorture selftest: %s: unknown option "
			    "(--budget, --only, --jobs, --json)\n", argv[i]);
			return (VT_EXIT_USAGE);
		}
	}
	if (!VT_INJECT_BUILT) {
		fprintf(stderr, "vmtorture selftest: this vmtorture is built "
		    "without the bug catalogue (meson -Dinject=false)\n");
		return (VT_EXIT_USAGE);
	}
	if (jobs < 1)
		jobs = 1;
	if (jobs > ST_MAX_JOBS)
		jobs = ST_MAX_JOBS;
	if (build_subjects(only, subj, &nsubj) != 0)
		return (VT_EXIT_USAGE);
	if (nsubj == 0) {
		fprintf(stderr, "vmtorture selftest: nothing to test\n");
		return (VT_EXIT_USAGE);
	}
	/* Even child-seconds per track; a free cell fits four times in it. */
	share = budget * (double)jobs / (double)nsubj / TR_N;
	free_secs = fmin(ST_FREE_SECS, fmax(0.25, share / 4));
	if (vt_child_tmpdir(dir, sizeof (dir)) != 0)
		return (VT_EXIT_INTERNAL);
	printf("selftest: %d subjects, budget %.0f s, %" PRIu64 " jobs, "
	    "%.2f child-seconds per track at first, free cells of %.3g s\n",
	    nsubj,
	    budget, jobs, share, free_secs);
	fflush(stdout);

	memset(slots, 0, sizeof (slots));
	t0 = vt_child_now();
	deadline = t0 + budget;
	for (;;) {
		/* Fill the free slots, subjects in order, tracks alternating. */
		for (uint64_t j = 0; j < jobs; j++) {
			struct slot *sl = &slots[j];
			struct vt_config c;
			const char *w[40];
			char buf[4][48], name[32];
			int pick = -1, pt = 0, nw;

			if (sl->k.pid != 0)
				continue;
			if (vt_child_now() >= deadline)
				break;
			if ((pick = next_track(subj, nsubj, &pt)) < 0)
				break;
			nw = cell_words(&subj[pick], pt, subj[pick].tr[pt].next++,
			    free_secs, buf, w);
			vt_child_join_words(w, sl->cell, sizeof (sl->cell));
			if (parse_words(nw, w, &c) != 0) {
				fprintf(stderr, "vmtorture selftest: cell '%s' "
				    "does not parse\n", sl->cell);
				harness_err = true;
				subj[pick].tr[pt].done = subj[pick].tr[pt].error =
				    true;
				continue;
			}
			snprintf(name, sizeof (name), "c%" PRIu64, j);
			if (vt_child_files(&sl->k, dir, name) != 0 ||
			    vt_child_start(&sl->k, &c) != 0) {
				rc = VT_EXIT_INTERNAL;
				goto out;
			}
			sl->subj = pick;
			sl->track = pt;
			sl->replay = false;
			sl->timeout = pt == TR_FREE ? free_secs + 20 : 60;
			subj[pick].tr[pt].running = true;
			running++;
		}
		if (running == 0)
			break;
		/* Reap one child; poll to enforce the timeouts. */
		for (;;) {
			int status;
			pid_t p = waitpid(-1, &status, WNOHANG);

			if (p > 0) {
				for (uint64_t j = 0; j < jobs; j++) {
					struct slot *sl = &slots[j];
					struct vt_child_result r;
					double secs;

					if (sl->k.pid != p)
						continue;
					secs = vt_child_now() - sl->k.started;
					vt_child_result(&sl->k, vt_child_exit_code(
					    status), &r);
					vt_child_cleanup(&sl->k);
					sl->k.pid = 0;
					running--;
					cell_done(&subj[sl->subj], sl->track, sl, &r,
					    secs);
				}
				break;
			}
			if (p < 0 && errno != EINTR && errno != EAGAIN)
				break;
			for (uint64_t j = 0; j < jobs; j++)
				if (slots[j].k.pid != 0 &&
				    vt_child_now() - slots[j].k.started >
				    slots[j].timeout)
					(void) kill(slots[j].k.pid, SIGKILL);
			vt_child_sleep_ms(5);
		}
	}

	/* Replay every controlled-mode catch from its printed line. */
	for (int i = 0; i < nsubj; i++) {
		struct track *tr = &subj[i].tr[TR_CTRL];
		struct vt_child_result r;
		struct vt_config c;
		const char *w[256];
		char line[2048];
		int nw;

		if (!tr->caught || tr->replay[0] == '\0')
			continue;
		snprintf(line, sizeof (line), "%s", tr->replay);
		nw = vt_child_split_replay(line, w, 256);
		subj[i].replays = 0;
		if (nw < 1 || parse_words(nw, w, &c) != 0)
			continue;
		if (vt_child_files(&slots[0].k, dir, "replay") != 0) {
			rc = VT_EXIT_INTERNAL;
			goto out;
		}
		vt_child_run(&slots[0].k, &c, 120, &r);
		vt_child_cleanup(&slots[0].k);
		slots[0].k.pid = 0;
		if (is_catch(&r) && strcmp(r.check, tr->check) == 0 &&
		    r.step == tr->steps && strcmp(r.trace_hash, tr->hash) == 0)
			subj[i].replays = 1;
	}

	/* The table. */
	printf("%-32s %-7s %-16s %8s %10s %-7s %s\n", "mutant", "caught",
	    "check", "free s", "ctl steps", "replays", "expected");
	for (int i = 0; i < nsubj; i++) {
		struct subject *s = &subj[i];
		const struct track *f = &s->tr[TR_FREE], *c = &s->tr[TR_CTRL];
		const struct track *first = first_catch(s);
		char fs[16], cs[24];

		if (f->error || c->error)
			harness_err = true;
		if (s->mutant < 0 && !s->busted) {
			control_ok = !f->caught && !c->caught && !f->error &&
			    !c->error;
			printf("%-32s %-7s %-16s %8.2f %10s %-7s %" PRIu64
			    " runs\n", "control (no mutant)", control_ok ? "pass" :
			    "FAIL", first->caught ? first->check : "-",
			    f->spent, "-", "-", f->runs + c->runs);
			continue;
		}
		if (f->caught)
			snprintf(fs, sizeof (fs), "%.2f", f->to_detect);
		else
			snprintf(fs, sizeof (fs), "-");
		if (c->caught)
			snprintf(cs, sizeof (cs), "%" PRIu64 "%s", c->steps,
			    strstr(c->cell, "pct") ? "p" : "r");
		else
			snprintf(cs, sizeof (cs), "-");
		if (f->caught || c->caught)
			caught++;
		if (s->replays == 1)
			replayed++;
		printf("%-32s %-7s %-16s %8s %10s %-7s %s\n", s->name,
		    (f->caught || c->caught) ? "yes" : "MISSED",
		    first->caught ? first->check : "-", fs, cs,
		    s->replays < 0 ? "-" : s->replays ? "yes" : "NO",
		    s->mutant >= 0 ? vt_mutant_table[s->mutant].check : "fail");
	}
	for (int i = 0; i < nsubj; i++) {
		for (int t = 0; t < TR_N; t++)
			if (subj[i].tr[t].note[0] != '\0')
				printf("note: %s (%s): %s\n", subj[i].name,
				    t == TR_FREE ? "free" : "controlled",
				    subj[i].tr[t].note);
		if (subj[i].tr[TR_CTRL].caught)
			printf("replay %s: %s\n", subj[i].name,
			    subj[i].tr[TR_CTRL].replay);
	}
	{
		int nm = 0;

		for (int i = 0; i < nsubj; i++)
			if (subj[i].mutant >= 0 || subj[i].busted)
				nm++;
		pass = caught == nm && control_ok && !harness_err;
		printf("selftest: %d/%d caught, %d replayed exactly, control %s, "
		    "%.1f s\n", caught, nm, replayed, control_ok ? "passed" :
		    "FAILED", vt_child_now() - t0);
		printf("RESULT: %s\n", pass ? "PASS" : "FAIL");
	}
	if (json != NULL && write_json(json, subj, nsubj, budget,
	    vt_child_now() - t0, pass) != 0)
		rc = VT_EXIT_INTERNAL;
	else if (harness_err)
		rc = VT_EXIT_INTERNAL;
	else
		rc = pass ? VT_EXIT_PASS : VT_EXIT_FAIL;
out:
	for (uint64_t j = 0; j < jobs; j++)
		if (slots[j].k.pid != 0) {
			(void) kill(slots[j].k.pid, SIGKILL);
			(void) waitpid(slots[j].k.pid, NULL, 0);
			vt_child_cleanup(&slots[j].k);
		}
	vt_child_rmdir(dir);
	return (rc);
}
