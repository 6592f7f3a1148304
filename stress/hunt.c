/*
 * hunt.c - `vmtorture hunt`: seed search around `vmtorture run` (harness
 * code, not part of the port).
 *
 *   hunt SCENARIO --seeds A-B | --sched-seeds A-B [--jobs N] [--shrink]
 *        [--timeout S] [--out FILE] [--max-runs N] [run options]
 *
 * The run options are parsed once into a configuration; each child is that
 * configuration with its seed (or scheduler seed) set, started N at a time
 * (child.c), and its result read from its JSON report.  Which seed a hunt
 * reports does not depend on --jobs or on timing: seeds are started in
 * increasing order and, once one fails, every lower seed still running is
 * waited for and the lowest failing one wins.  Wall-clock time is used only
 * for the throughput figures and the optional per-child --timeout.
 */
#include "run.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"

#define MAX_JOBS	256

struct hunt_kid {
	struct vt_child	k;		/* k.pid 0: slot free */
	uint64_t	seed;
	bool		killed;		/* by us: its result does not count */
	bool		timedout;	/* killed by --timeout: a failure */
};

static void
hunt_usage(FILE *f)
{
	fprintf(f, "usage: vmtorture hunt SCENARIO --seeds A-B | --sched-seeds "
	    "A-B [--jobs N] [--shrink]\n"
	    "                      [--timeout S] [run options]\n"
	    "  Runs `vmtorture run SCENARIO --seed S [run options] -q` for S "
	    "in A..B, N at a time\n"
	    "  (default: online CPUs), and reports the lowest failing seed "
	    "with its replay line.\n"
	    "  --sched-seeds varies --sched-seed with --seed fixed (controlled "
	    "mode; --sched\n"
	    "  defaults to pct).  --shrink then minimises the failing "
	    "schedule (controlled mode;\n"
	    "  --out FILE and --max-runs N go to shrink).\n"
	    "  --timeout S kills a child after S seconds (counted as a "
	    "failure: hang).\n"
	    "  Exit: 1 a seed failed, 0 none did, 2 usage error.\n");
}

/* What hunt was asked, after its own options are taken out. */
struct hunt_args {
	char		**run;		/* SCENARIO + run options (borrowed words) */
	int		nrun;
	const char	*seeds, *sched_seeds;
	uint64_t	lo, hi, jobs;
	double		timeout;
	bool		shrink;
	bool		sched_seed_given;	/* --sched-seed among the run options */
	const char	*out, *max_runs;	/* for --shrink */
};

/* 0 to hunt, 1 help printed, -1 usage error (message printed). */
static int
parse_args(int argc, char **argv, struct hunt_args *h)
{
	bool have_sched = false;
	const char *val = NULL;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	h->jobs = ncpu > 0 ? (uint64_t)ncpu : 1;
	h->run = calloc((size_t)argc + 3, sizeof (char *));
	if (h->run == NULL) {
		fprintf(stderr, "vmtorture hunt: out of memory\n");
		return (-1);
	}
	h->run[h->nrun++] = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (vt_child_take_opt(argc, argv, &i, "seeds", &val)) {
			h->seeds = val;
			if (val == NULL ||
			    vt_child_parse_range(val, &h->lo, &h->hi) != 0)
				goto badrange;
		} else if (vt_child_take_opt(argc, argv, &i, "sched-seeds",
		    &val)) {
			h->sched_seeds = val;
			if (val == NULL ||
			    vt_child_parse_range(val, &h->lo, &h->hi) != 0)
				goto badrange;
		} else if (vt_child_take_opt(argc, argv, &i, "jobs", &val)) {
			if (val == NULL || vt_parse_u64(val, &h->jobs) != 0 ||
			    h->jobs < 1 || h->jobs > MAX_JOBS) {
				fprintf(stderr, "vmtorture hunt: --jobs %s: "
				    "expected 1..%d\n", val ? val : "",
				    MAX_JOBS);
				return (-1);
			}
		} else if (vt_child_take_opt(argc, argv, &i, "timeout", &val)) {
			if (val == NULL || vt_parse_double(val,
			    &h->timeout) != 0 || h->timeout < 0) {
				fprintf(stderr, "vmtorture hunt: --timeout: "
				    "expected seconds\n");
				return (-1);
			}
		} else if (strcmp(a, "--shrink") == 0) {
			h->shrink = true;
		} else if (vt_child_take_opt(argc, argv, &i, "out", &val) ||
		    vt_child_take_opt(argc, argv, &i, "max-runs", &val)) {
			if (val == NULL) {
				fprintf(stderr, "vmtorture hunt: %s: missing "
				    "value\n", a);
				return (-1);
			}
			if (vt_child_is_opt(a, "out"))
				h->out = val;
			else
				h->max_runs = val;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			hunt_usage(stdout);
			return (1);
		} else if (vt_child_is_opt(a, "trace") ||
		    vt_child_is_opt(a, "json") ||
		    vt_child_is_opt(a, "schedule") ||
		    vt_child_is_opt(a, "stop-at-step")) {
			fprintf(stderr, "vmtorture hunt: %s is per run: use it "
			    "with the replay line instead\n", a);
			return (-1);
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			continue;	/* children always run -q */
		} else {
			if (vt_child_is_opt(a, "sched"))
				have_sched = true;
			if (vt_child_is_opt(a, "sched-seed"))
				h->sched_seed_given = true;
			h->run[h->nrun++] = argv[i];
		}
	}
	if ((h->seeds == NULL) == (h->sched_seeds == NULL)) {
		fprintf(stderr, "vmtorture hunt: give exactly one of --seeds "
		    "A-B and --sched-seeds A-B\n");
		return (-1);
	}
	for (int i = 1; i < h->nrun; i++) {
		const char *what = h->seeds != NULL ? "seed" : "sched-seed";

		if (vt_child_is_opt(h->run[i], what)) {
			fprintf(stderr, "vmtorture hunt: --%s conflicts with "
			    "--%ss\n", what, what);
			return (-1);
		}
	}
	if (h->sched_seeds != NULL && !have_sched) {
		/* --sched-seeds means controlled mode: pct unless told. */
		h->run[h->nrun++] = (char *)(uintptr_t)"--sched";
		h->run[h->nrun++] = (char *)(uintptr_t)"pct";
	}
	return (0);
badrange:
	fprintf(stderr, "vmtorture hunt: --seeds/--sched-seeds %s: expected "
	    "A-B with A <= B\n", val != NULL ? val : "");
	return (-1);
}

/*
 * The configuration of seed s.  --seeds sets --seed, and with it the
 * scheduler seed where that follows --seed (no --sched-seed given:
 * validation made it equal); --sched-seeds sets the scheduler seed only.
 */
static void
seed_config(const struct vt_config *base, const struct hunt_args *h,
    bool sched_follows, uint64_t s, struct vt_config *c)
{
	*c = *base;
	if (h->seeds != NULL) {
		c->seed = s;
		if (sched_follows)
			c->sched_seed = s;
	} else {
		c->sched_seed = s;
	}
}

/* Hand the failing run to shrink: its replay options, then shrink's. */
static void
shrink_failure(const struct vt_config *c, const struct hunt_args *h)
{
	char **words, **args;
	int n, k = 0;

	words = vt_config_argv(c, false, false, &n);
	args = words != NULL ? calloc((size_t)n + 5, sizeof (char *)) : NULL;
	if (args == NULL) {
		vt_config_argv_free(words);
		fprintf(stderr, "vmtorture hunt: out of memory\n");
		return;
	}
	/* words: "run" SCENARIO ...; shrink takes SCENARIO ... */
	for (int i = 1; i < n; i++)
		args[k++] = words[i];
	if (h->out != NULL) {
		args[k++] = (char *)(uintptr_t)"--out";
		args[k++] = (char *)(uintptr_t)h->out;
	}
	if (h->max_runs != NULL) {
		args[k++] = (char *)(uintptr_t)"--max-runs";
		args[k++] = (char *)(uintptr_t)h->max_runs;
	}
	(void) vt_shrink_main(k, args);
	free(args);
	vt_config_argv_free(words);
}

int
vt_hunt_main(int argc, char **argv)
{
	struct hunt_args h;
	struct hunt_kid kids[MAX_JOBS];
	const struct vt_scenario_ops *sc;
	struct vt_config cfg, bestcfg;
	struct vt_child_result res;
	const char *what;
	uint64_t next, best = UINT64_MAX, runs = 0;
	bool sched_follows;
	double t0, t;
	char dir[PATH_MAX], bestcheck[64] = "", bestreplay[2048] = "";
	int nrun = 0, rc = VT_EXIT_PASS, prc;

	if (argc < 1 || strcmp(argv[0], "-h") == 0 ||
	    strcmp(argv[0], "--help") == 0) {
		hunt_usage(argc < 1 ? stderr : stdout);
		return (argc < 1 ? VT_EXIT_USAGE : VT_EXIT_PASS);
	}
	if (argv[0][0] == '-') {
		fprintf(stderr, "vmtorture hunt: the scenario comes first "
		    "(vmtorture hunt SCENARIO --seeds A-B ...)\n");
		return (VT_EXIT_USAGE);
	}
	memset(&h, 0, sizeof (h));
	prc = parse_args(argc, argv, &h);
	if (prc != 0) {
		free(h.run);
		return (prc > 0 ? VT_EXIT_PASS : VT_EXIT_USAGE);
	}
	/* The run options, parsed once: a usage error is one line, exit 2. */
	prc = vt_config_parse(&cfg, &sc, h.nrun, h.run);
	if (prc != 0) {
		free(h.run);
		return (prc > 0 ? VT_EXIT_PASS : VT_EXIT_USAGE);
	}
	/*
	 * Without --sched-seed, validation set sched_seed = seed.  (A
	 * sched-seed from an -f file that equals the seed reads the same.)
	 */
	sched_follows = !h.sched_seed_given && cfg.sched_seed == cfg.seed;
	what = h.seeds != NULL ? "seed" : "sched-seed";
	if (h.sched_seeds != NULL && cfg.sched == VT_SCHED_FREE) {
		fprintf(stderr, "vmtorture hunt: --sched-seeds needs "
		    "--sched random or pct\n");
		free(h.run);
		return (VT_EXIT_USAGE);
	}
	if (vt_child_tmpdir(dir, sizeof (dir)) != 0) {
		free(h.run);
		return (VT_EXIT_INTERNAL);
	}

	memset(kids, 0, sizeof (kids));
	t0 = vt_child_now();
	next = h.lo;
	for (;;) {
		/* Start seeds in increasing order while none has failed. */
		while (best == UINT64_MAX && next <= h.hi &&
		    (uint64_t)nrun < h.jobs) {
			struct hunt_kid *c = NULL;
			struct vt_config cc;
			char name[32];

			for (uint64_t j = 0; j < h.jobs && c == NULL; j++)
				if (kids[j].k.pid == 0)
					c = &kids[j];
			snprintf(name, sizeof (name), "%" PRIu64, next);
			seed_config(&cfg, &h, sched_follows, next, &cc);
			if (vt_child_files(&c->k, dir, name) != 0 ||
			    vt_child_start(&c->k, &cc) != 0) {
				rc = VT_EXIT_INTERNAL;
				goto out;
			}
			c->seed = next;
			c->killed = false;
			c->timedout = false;
			nrun++;
			next++;
		}
		if (nrun == 0)
			break;

		/* Reap one child (polling only to enforce --timeout). */
		{
			struct hunt_kid *c = NULL;
			int st, code;
			pid_t pid;

			pid = waitpid(-1, &st, h.timeout > 0 ? WNOHANG : 0);
			if (pid < 0 && errno == EINTR)
				continue;
			if (pid < 0) {
				fprintf(stderr, "vmtorture hunt: waitpid: %s\n",
				    strerror(errno));
				rc = VT_EXIT_INTERNAL;
				goto out;
			}
			if (pid == 0) {
				/* Only with --timeout: kill overdue children. */
				double tn = vt_child_now();

				for (uint64_t j = 0; j < h.jobs; j++)
					if (kids[j].k.pid != 0 &&
					    !kids[j].killed && !kids[j].timedout &&
					    tn > kids[j].k.started + h.timeout) {
						kill(kids[j].k.pid, SIGKILL);
						kids[j].timedout = true;
					}
				vt_child_sleep_ms(2);
				continue;
			}
			for (uint64_t j = 0; j < h.jobs; j++)
				if (kids[j].k.pid == pid)
					c = &kids[j];
			if (c == NULL)
				continue;	/* not one of ours */
			nrun--;
			c->k.pid = 0;
			if (c->killed) {
				vt_child_cleanup(&c->k);
				continue;
			}
			runs++;
			code = c->timedout ? VT_CHILD_TIMEOUT :
			    vt_child_exit_code(st);
			if (code == VT_EXIT_USAGE) {
				char line[1024];

				vt_child_first_error(&c->k, line, sizeof (line));
				fprintf(stderr, "%s\n", line[0] ? line :
				    "vmtorture hunt: the run is a usage error");
				rc = VT_EXIT_USAGE;
				best = 0;	/* start nothing more */
				vt_child_cleanup(&c->k);
				goto out;
			}
			if (code != VT_EXIT_PASS && c->seed < best) {
				best = c->seed;
				vt_child_result(&c->k, code, &res);
				snprintf(bestcheck, sizeof (bestcheck), "%s",
				    res.check);
				seed_config(&cfg, &h, sched_follows, best,
				    &bestcfg);
				if (res.replay[0] != '\0')
					snprintf(bestreplay, sizeof (bestreplay),
					    "%s", res.replay);
				else
					vt_config_cmdline(&bestcfg, false,
					    bestreplay, sizeof (bestreplay));
				/* Higher seeds cannot win: stop them. */
				for (uint64_t j = 0; j < h.jobs; j++)
					if (kids[j].k.pid != 0 &&
					    kids[j].seed > best &&
					    !kids[j].killed) {
						kill(kids[j].k.pid, SIGKILL);
						kids[j].killed = true;
					}
			}
			vt_child_cleanup(&c->k);
		}
	}

	t = vt_child_now() - t0;
	if (best != UINT64_MAX) {
		printf("hunt: %s %" PRIu64 " failed (%s) after %" PRIu64
		    " runs in %.2f s (%.1f seeds/s)\n", what, best, bestcheck,
		    runs, t, t > 0 ? (double)runs / t : 0.0);
		printf("%s\n", bestreplay);
		fflush(stdout);
		rc = VT_EXIT_FAIL;	/* whatever the child's code was */
		if (h.shrink) {
			if (cfg.sched == VT_SCHED_FREE)
				printf("hunt: --shrink: a free-running failure "
				    "has no schedule to shrink (try "
				    "--sched-seeds with --sched pct)\n");
			else
				shrink_failure(&bestcfg, &h);
		}
	} else {
		printf("hunt: no failure in %ss %" PRIu64 "-%" PRIu64
		    " (%" PRIu64 " runs, %.2f s, %.1f seeds/s)\n", what, h.lo,
		    h.hi, runs, t, t > 0 ? (double)runs / t : 0.0);
		rc = VT_EXIT_PASS;
	}
out:
	for (uint64_t j = 0; j < h.jobs; j++) {
		if (kids[j].k.pid != 0) {
			int st;

			kill(kids[j].k.pid, SIGKILL);
			(void) waitpid(kids[j].k.pid, &st, 0);
			vt_child_cleanup(&kids[j].k);
		}
	}
	vt_child_rmdir(dir);
	free(h.run);
	fflush(stdout);
	return (rc);
}
