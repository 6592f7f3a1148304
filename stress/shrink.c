/*
 * shrink.c - `vmtorture shrink` (harness code, not part of the port):
 *
 *   shrink [vmtorture run] SCENARIO [run options] [--out FILE]
 *        [--trace FILE] [--max-runs N] [--timeout S]
 *
 * Trace the failing controlled run in a child, then delete switches from
 * its schedule (chunks of n/2, n/4, ... single switches: greedy delta
 * debugging) while a child following the rest still fails the same check
 * with the same exit code.  Every child is the parsed configuration with
 * its --trace or --schedule set (child.c); results come from their JSON.
 */
#include "run.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "trace.h"

struct shrink_state {
	struct vt_config base;		/* the failing run, no --trace/--schedule */
	struct vt_trace_file trace;	/* its switches, with their text */
	char		header[4096];	/* "vmtorture run ..." of base */
	char		check[64];	/* the failure to keep */
	int		code;
	uint64_t	step;		/* step of the last reproduction */
	uint64_t	runs, max_runs;
	double		timeout;
	char		dir[PATH_MAX];
	char		sched[PATH_MAX + 16];	/* the candidate schedule */
	struct vt_child	cand;
};

/* Does the schedule keep (NULL: all switches) still fail the same way? */
static bool
still_fails(struct shrink_state *s, const bool *keep)
{
	struct vt_child_result r;
	struct vt_config c = s->base;

	if (vt_trace_write_schedule(s->sched, s->header, NULL, &s->trace,
	    keep) != 0)
		return (false);
	c.schedule = s->sched;
	s->runs++;
	vt_child_run(&s->cand, &c, s->timeout, &r);
	if (r.code <= 0 || r.code == VT_CHILD_TIMEOUT ||
	    r.code == VT_EXIT_USAGE)
		return (false);
	if (r.code != s->code || strcmp(r.check, s->check) != 0)
		return (false);
	s->step = r.step;
	return (true);
}

static void
shrink_usage(FILE *f)
{
	fprintf(f, "usage: vmtorture shrink [vmtorture run] SCENARIO "
	    "[run options of a failing controlled run]\n"
	    "                        [--out FILE] [--max-runs N] "
	    "[--timeout S]\n"
	    "  Traces the run (--trace FILE, default "
	    "vmtorture-SCENARIO-seedS.trace), then deletes\n"
	    "  switches from its schedule while the run still fails the same "
	    "check; writes\n"
	    "  the result to --out (default: the trace name + .shrunk).  "
	    "--max-runs bounds\n"
	    "  the child runs (default 300), --timeout S each one (default "
	    "60).\n");
}

/* Shrink's own options and the run's; 0, 1 (help printed) or -1. */
static int
parse_args(int argc, char **argv, struct shrink_state *s, char **user,
    int *nuser, const char **outpath, const char **trace)
{
	const char *val;

	user[(*nuser)++] = argv[0];
	for (int i = 1; i < argc; i++) {
		if (vt_child_take_opt(argc, argv, &i, "out", &val)) {
			*outpath = val;
		} else if (vt_child_take_opt(argc, argv, &i, "trace", &val)) {
			*trace = val;
		} else if (vt_child_take_opt(argc, argv, &i, "max-runs", &val)) {
			if (val == NULL || vt_parse_u64(val, &s->max_runs) != 0) {
				fprintf(stderr, "vmtorture shrink: --max-runs: "
				    "expected a number\n");
				return (-1);
			}
		} else if (vt_child_take_opt(argc, argv, &i, "timeout", &val)) {
			if (val == NULL || vt_parse_double(val, &s->timeout) != 0) {
				fprintf(stderr, "vmtorture shrink: --timeout: "
				    "expected seconds\n");
				return (-1);
			}
		} else if (vt_child_take_opt(argc, argv, &i, "json", &val)) {
			continue;	/* the children write their own */
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			shrink_usage(stdout);
			return (1);
		} else if (strcmp(argv[i], "-q") == 0 ||
		    strcmp(argv[i], "--quiet") == 0 ||
		    strcmp(argv[i], "--tap") == 0) {
			continue;
		} else {
			user[(*nuser)++] = argv[i];
		}
	}
	if ((*outpath != NULL && **outpath == '\0') ||
	    (*trace != NULL && **trace == '\0')) {
		fprintf(stderr, "vmtorture shrink: empty file name\n");
		return (-1);
	}
	return (0);
}

/* A trace file with nothing in it (a child that died early) has no header. */
static bool
has_content(const char *path)
{
	struct stat sb;

	return (stat(path, &sb) == 0 && sb.st_size > 0);
}

/* Read the trace: 0 with a header, -1 without one (message if malformed). */
static int
read_trace(struct shrink_state *s, const char *path)
{
	vt_trace_file_free(&s->trace);
	if (!has_content(path) || vt_trace_read(path, VT_TRACE_KEEP_TEXT,
	    &s->trace) != 0)
		return (-1);
	return (s->trace.cmd != NULL ? 0 : -1);
}

/*
 * Greedy deletion: chunks of n/2, n/4, ... 1 switches; a deletion stays
 * when the run still fails the same check.  keep[] ends 1-minimal unless
 * --max-runs stops it first.  Returns the switches kept.
 */
static size_t
delete_switches(struct shrink_state *s, bool *keep, bool *cand)
{
	size_t n0 = s->trace.nsw, kept = n0, chunk;

	for (size_t i = 0; i < n0; i++)
		keep[i] = true;
	chunk = n0 / 2 > 0 ? n0 / 2 : 1;
	while (kept > 0 && s->runs < s->max_runs) {
		bool removed = false;
		size_t pos = 0;		/* index among the kept switches */

		while (pos < kept && s->runs < s->max_runs) {
			size_t seen = 0, cut = 0;

			memcpy(cand, keep, n0 * sizeof (*cand));
			for (size_t i = 0; i < n0; i++) {
				if (!keep[i])
					continue;
				if (seen >= pos && seen < pos + chunk) {
					cand[i] = false;
					cut++;
				}
				seen++;
			}
			if (cut == 0)
				break;
			if (still_fails(s, cand)) {
				memcpy(keep, cand, n0 * sizeof (*keep));
				kept -= cut;
				removed = true;
			} else {
				pos += chunk;
			}
		}
		if (chunk == 1) {
			if (!removed)
				break;	/* 1-minimal */
		} else {
			chunk = (chunk + 1) / 2;
			if (chunk > kept && kept > 0)
				chunk = kept;
		}
	}
	return (kept);
}

int
vt_shrink_main(int argc, char **argv)
{
	struct shrink_state s;
	struct vt_child first;
	struct vt_child_result r;
	const struct vt_scenario_ops *sc;
	struct vt_config cfg, c;
	const char *outpath = NULL, *trace = NULL;
	char tracebuf[PATH_MAX], shrunk[PATH_MAX + 8], note[160],
	    line[4096], **user = NULL;
	bool *keep = NULL, *cand = NULL;
	size_t n0, kept;
	uint64_t step0;
	int nuser = 0, rc = VT_EXIT_INTERNAL, prc;

	memset(&s, 0, sizeof (s));
	memset(&first, 0, sizeof (first));
	s.max_runs = 300;
	s.timeout = 60;
	/* Accept a pasted replay line: [vmtorture] [run] SCENARIO ... */
	if (argc > 0 && strcmp(argv[0], "vmtorture") == 0) {
		argc--;
		argv++;
	}
	if (argc > 0 && (strcmp(argv[0], "run") == 0 ||
	    strcmp(argv[0], "replay") == 0)) {
		argc--;
		argv++;
	}
	if (argc < 1 || argv[0][0] == '-') {
		shrink_usage(argc < 1 ? stderr : stdout);
		return (argc >= 1 && (strcmp(argv[0], "-h") == 0 ||
		    strcmp(argv[0], "--help") == 0) ? VT_EXIT_PASS :
		    VT_EXIT_USAGE);
	}
	user = calloc((size_t)argc + 1, sizeof (char *));
	if (user == NULL)
		return (VT_EXIT_INTERNAL);
	prc = parse_args(argc, argv, &s, user, &nuser, &outpath, &trace);
	if (prc == 0)
		prc = vt_config_parse(&cfg, &sc, nuser, user);
	if (prc != 0) {
		free(user);
		return (prc > 0 ? VT_EXIT_PASS : VT_EXIT_USAGE);
	}
	if (cfg.sched == VT_SCHED_FREE) {
		fprintf(stderr, "vmtorture shrink: needs a controlled run "
		    "(--sched random or pct); a free run has no schedule\n");
		free(user);
		return (VT_EXIT_USAGE);
	}
	if (trace == NULL) {
		if (cfg.sched_seed != 0 && cfg.sched_seed != cfg.seed)
			snprintf(tracebuf, sizeof (tracebuf),
			    "vmtorture-%s-seed%" PRIu64 "-sched%" PRIu64
			    ".trace", sc->name, cfg.seed, cfg.sched_seed);
		else
			snprintf(tracebuf, sizeof (tracebuf),
			    "vmtorture-%s-seed%" PRIu64 ".trace", sc->name,
			    cfg.seed);
		trace = tracebuf;
	}
	if (outpath == NULL) {
		if ((size_t)snprintf(shrunk, sizeof (shrunk), "%s.shrunk",
		    trace) >= sizeof (shrunk)) {
			fprintf(stderr, "vmtorture shrink: path too long\n");
			free(user);
			return (VT_EXIT_USAGE);
		}
		outpath = shrunk;
	}
	if (vt_child_tmpdir(s.dir, sizeof (s.dir)) != 0) {
		free(user);
		return (VT_EXIT_INTERNAL);
	}
	snprintf(s.sched, sizeof (s.sched), "%s/cand.sched", s.dir);
	vt_child_note_file(s.sched, true);
	if (vt_child_files(&first, s.dir, "first") != 0 ||
	    vt_child_files(&s.cand, s.dir, "cand") != 0)
		goto out;

	/* 1. The full run, traced (no stale trace may pass for its own). */
	(void) unlink(trace);
	c = cfg;
	c.trace = trace;
	vt_child_run(&first, &c, s.timeout, &r);
	s.runs = 1;
	if (r.code == VT_EXIT_PASS || r.code == VT_EXIT_USAGE || r.code < 0 ||
	    r.code == VT_CHILD_TIMEOUT) {
		vt_child_first_error(&first, line, sizeof (line));
		fprintf(stderr, "vmtorture shrink: the run %s%s%s\n",
		    r.code == VT_EXIT_PASS ? "passes: nothing to shrink" :
		    r.code == VT_CHILD_TIMEOUT ? "timed out" : "did not run",
		    r.code == VT_EXIT_USAGE ? ": " : "",
		    r.code == VT_EXIT_USAGE ? line : "");
		rc = r.code == VT_EXIT_PASS || r.code == VT_EXIT_USAGE ?
		    VT_EXIT_USAGE : VT_EXIT_INTERNAL;
		goto out;
	}
	s.code = r.code;
	snprintf(s.check, sizeof (s.check), "%s", r.check);
	step0 = r.step;
	s.base = cfg;
	s.base.schedule = NULL;		/* candidates bring their own */

	/*
	 * A pct run with --steps 0 first counts its schedule points in a pass
	 * under the random strategy.  Should a failure there leave no trace,
	 * trace that pass as `--sched random` with the same seeds (the same
	 * check required).
	 */
	if (read_trace(&s, trace) != 0 && cfg.sched == VT_SCHED_PCT &&
	    cfg.steps == 0 && cfg.schedule == NULL) {
		printf("shrink: the pct run failed in its untraced k-learning "
		    "pass (random strategy): tracing it as --sched random\n");
		c.sched = VT_SCHED_RANDOM;
		vt_child_run(&first, &c, s.timeout, &r);
		s.runs++;
		if (r.code != s.code || strcmp(r.check, s.check) != 0) {
			fprintf(stderr, "vmtorture shrink: as --sched random "
			    "the run ends differently (%s, exit %d)\n", r.check,
			    r.code);
			goto out;
		}
		step0 = r.step;
		s.base.sched = VT_SCHED_RANDOM;
		(void) read_trace(&s, trace);
	}
	/* 2. Its header and switch lines. */
	if (s.trace.cmd == NULL) {
		fprintf(stderr, "vmtorture shrink: %s: no trace header\n",
		    trace);
		goto out;
	}
	vt_config_cmdline(&s.base, false, s.header, sizeof (s.header));
	n0 = s.trace.nsw;
	printf("shrink: %s fails (%s) at step %" PRIu64 " with %zu switches; "
	    "trace %s\n", sc->name, s.check, step0, n0, trace);
	fflush(stdout);

	/* 3. The switches alone must reproduce it. */
	if (!still_fails(&s, NULL)) {
		fprintf(stderr, "vmtorture shrink: replaying the trace's %zu "
		    "switches does not fail the same way (%s); not shrinking\n",
		    n0, s.check);
		goto out;
	}
	if (s.step != step0)
		printf("shrink: note: the trace's switches alone fail at step "
		    "%" PRIu64 ", not %" PRIu64 " (replay of this trace is not "
		    "step-exact)\n", s.step, step0);

	/* 4. Delete what the failure does not need. */
	keep = malloc((n0 + 1) * sizeof (*keep));
	cand = malloc((n0 + 1) * sizeof (*cand));
	if (keep == NULL || cand == NULL)
		goto out;
	kept = delete_switches(&s, keep, cand);
	if (kept == 0 || s.step == 0)
		(void) still_fails(&s, keep);	/* refresh the failing step */

	snprintf(note, sizeof (note), "shrunk by vmtorture shrink: %zu -> %zu "
	    "switches (%" PRIu64 " runs)", n0, kept, s.runs);
	if (vt_trace_write_schedule(outpath, s.header, note, &s.trace,
	    keep) != 0)
		goto out;
	printf("shrink: %zu -> %zu switches (%" PRIu64 " runs%s); fails (%s) "
	    "at step %" PRIu64 "\n", n0, kept, s.runs,
	    s.runs >= s.max_runs ? ", --max-runs reached" : "", s.check,
	    s.step);
	c = s.base;
	c.schedule = outpath;
	printf("%s\n", vt_config_cmdline(&c, false, line, sizeof (line)));
	rc = VT_EXIT_PASS;
out:
	fflush(stdout);
	(void) unlink(s.sched);
	vt_child_note_file(s.sched, false);
	vt_child_cleanup(&s.cand);
	vt_child_cleanup(&first);
	vt_child_rmdir(s.dir);
	vt_trace_file_free(&s.trace);
	free(keep);
	free(cand);
	free(user);
	return (rc);
}

int
vt_shrink_config(const struct vt_config *c, const char *trace,
    const char *out, const char *max_runs)
{
	char **words, **args;
	int n, k = 0, rc;

	words = vt_config_argv(c, false, false, &n);
	args = words != NULL ? calloc((size_t)n + 7, sizeof (char *)) : NULL;
	if (args == NULL) {
		vt_config_argv_free(words);
		fprintf(stderr, "vmtorture shrink: out of memory\n");
		return (VT_EXIT_INTERNAL);
	}
	/* words: "run" SCENARIO ...; shrink takes SCENARIO ... */
	for (int i = 1; i < n; i++)
		args[k++] = words[i];
	if (trace != NULL) {
		args[k++] = (char *)(uintptr_t)"--trace";
		args[k++] = (char *)(uintptr_t)trace;
	}
	if (out != NULL) {
		args[k++] = (char *)(uintptr_t)"--out";
		args[k++] = (char *)(uintptr_t)out;
	}
	if (max_runs != NULL) {
		args[k++] = (char *)(uintptr_t)"--max-runs";
		args[k++] = (char *)(uintptr_t)max_runs;
	}
	rc = vt_shrink_main(k, args);
	free(args);
	vt_config_argv_free(words);
	return (rc);
}
