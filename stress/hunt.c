/*
 * hunt.c - search and minimisation around `vmtorture run` (harness code, not
 * part of the port):
 *
 *   hunt SCENARIO --seeds A-B | --sched-seeds A-B [--jobs N] [--shrink]
 *        [--timeout S] [run options]
 *	run one child process per seed, N at a time, and report the lowest
 *	failing seed with its replay line;
 *   replay FILE [run options] | replay SCENARIO [run options]
 *	re-run the command in a trace/schedule file's header, following the
 *	file's switches (in-process), or behave exactly like `run`;
 *   shrink [vmtorture run] SCENARIO [run options] [--out FILE]
 *        [--max-runs N] [--timeout S]
 *	trace a failing controlled run, then delete switches from its
 *	schedule (halves, quarters, ... single switches) while the failure
 *	(same check) persists.
 *
 * Children are `/proc/self/exe run ...` started with posix_spawn, stdout and
 * stderr redirected to files in a private temporary directory.  Which seed
 * a hunt reports does not depend on --jobs or on timing: seeds are started
 * in increasing order and, once one fails, every lower seed still running
 * is waited for and the lowest failing one wins.  Wall-clock time is used
 * only for the throughput figures and the optional per-child --timeout.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_ARGS	256
#define MAX_JOBS	256
#define LINE_MAX_LEN	4096

/* ---- small helpers ---- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Copy src into dst[len], cut short if need be. */
static void
copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* dst = a + b, or -1 if it does not fit. */
static int
cat_path(char *dst, size_t len, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la + lb + 1 > len)
		return (-1);
	memcpy(dst, a, la);
	memcpy(dst + la, b, lb + 1);
	return (0);
}

/* A growable argv (strings are not owned unless put with argv_dup). */
struct argv_buf {
	int	n;
	char	*v[MAX_ARGS + 1];
	char	*owned[MAX_ARGS];
	int	nowned;
};

static int
argv_put(struct argv_buf *a, const char *s)
{
	if (a->n >= MAX_ARGS) {
		fprintf(stderr, "vmtorture: too many arguments\n");
		return (-1);
	}
	a->v[a->n++] = (char *)(uintptr_t)s;
	a->v[a->n] = NULL;
	return (0);
}

static int
argv_dup(struct argv_buf *a, const char *s)
{
	char *d = strdup(s);

	if (d == NULL || a->nowned >= MAX_ARGS) {
		free(d);
		fprintf(stderr, "vmtorture: out of memory\n");
		return (-1);
	}
	a->owned[a->nowned++] = d;
	return (argv_put(a, d));
}

static void
argv_free(struct argv_buf *a)
{
	for (int i = 0; i < a->nowned; i++)
		free(a->owned[i]);
	a->nowned = 0;
	a->n = 0;
	a->v[0] = NULL;
}

/*
 * Does argv[*i] name option `name` (--name VALUE or --name=VALUE)?  If so
 * set *val (NULL when the value is missing) and advance *i past it.
 */
static bool
take_opt(int argc, char **argv, int *i, const char *name, const char **val)
{
	const char *a = argv[*i];
	size_t len = strlen(name);

	if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, len) != 0)
		return (false);
	if (a[2 + len] == '=') {
		*val = a + 3 + len;
		return (true);
	}
	if (a[2 + len] != '\0')
		return (false);
	*val = *i + 1 < argc ? argv[*i + 1] : NULL;
	if (*val != NULL)
		(*i)++;
	return (true);
}

/* Is argv[i] the option `name` in either spelling (value not taken)? */
static bool
is_opt(const char *a, const char *name)
{
	size_t len = strlen(name);

	return (strncmp(a, "--", 2) == 0 && strncmp(a + 2, name, len) == 0 &&
	    (a[2 + len] == '\0' || a[2 + len] == '='));
}

/* Does option a (--name) carry its value in the next word? */
static bool
value_follows(const char *a)
{
	return (strchr(a, '=') == NULL);
}

/* "A-B" or "A" into *lo, *hi. */
static int
parse_range(const char *s, uint64_t *lo, uint64_t *hi)
{
	char buf[64];
	const char *dash;

	if (s == NULL || strlen(s) >= sizeof (buf))
		return (-1);
	dash = strchr(s, '-');
	if (dash == NULL) {
		if (vt_parse_u64(s, lo) != 0)
			return (-1);
		*hi = *lo;
		return (0);
	}
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = '\0';
	if (vt_parse_u64(buf, lo) != 0 || vt_parse_u64(dash + 1, hi) != 0 ||
	    *lo > *hi)
		return (-1);
	return (0);
}

/* The running binary, for the children. */
static const char *
self_exe(void)
{
	static char path[PATH_MAX];
	ssize_t n;

	if (path[0] != '\0')
		return (path);
	n = readlink("/proc/self/exe", path, sizeof (path) - 1);
	if (n <= 0)
		snprintf(path, sizeof (path), "/proc/self/exe");
	else
		path[n] = '\0';
	return (path);
}

/* A private directory for the children's output; "" on failure. */
static int
make_tmpdir(char *dir, size_t len)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, len, "%s/vmtorture-XXXXXX", t != NULL && *t ? t : "/tmp");
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "vmtorture: cannot create a temporary "
		    "directory in %s: %s\n", t != NULL && *t ? t : "/tmp",
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * Start `argv` (argv[0] is the binary) with stdin from /dev/null and stdout,
 * stderr into the files given.  Returns the pid or -1 (message printed).
 */
static pid_t
spawn_child(char *const argv[], const char *out, const char *err)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out,
	    O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, err,
	    O_WRONLY | O_CREAT | O_TRUNC, 0644);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		fprintf(stderr, "vmtorture: cannot start %s: %s\n", argv[0],
		    strerror(rc));
		return (-1);
	}
	return (pid);
}

/* Exit code of a wait status; a signal death reads as 128 + signal. */
static int
exit_code(int st)
{
	if (WIFEXITED(st))
		return (WEXITSTATUS(st));
	if (WIFSIGNALED(st))
		return (128 + WTERMSIG(st));
	return (VT_EXIT_INTERNAL);
}

/*
 * First line of path that starts with prefix (or, prefix NULL, the first
 * line), without the newline, into buf.  Returns 0 if found.
 */
static int
find_line(const char *path, const char *prefix, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	char line[LINE_MAX_LEN];
	int found = -1;

	buf[0] = '\0';
	if (f == NULL)
		return (-1);
	while (fgets(line, sizeof (line), f) != NULL) {
		if (prefix != NULL && strncmp(line, prefix, strlen(prefix)) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(buf, len, "%s", line);
		found = 0;
		break;
	}
	fclose(f);
	return (found);
}

/* Name of the check a child failed, from its output and exit code. */
static void
child_check(const char *out, const char *err, int code, char *check,
    size_t len)
{
	char line[LINE_MAX_LEN];

	if (find_line(out, "RESULT: FAIL (", line, sizeof (line)) == 0) {
		char *s = line + strlen("RESULT: FAIL (");

		s[strcspn(s, ")")] = '\0';
		copy_str(check, len, s);
	} else if (find_line(err, "FAIL: ", line, sizeof (line)) == 0) {
		char *s = line + strlen("FAIL: ");

		s[strcspn(s, ":")] = '\0';
		copy_str(check, len, s);
	} else if (code == VT_EXIT_HANG) {
		snprintf(check, len, "hang");
	} else if (code > 128) {
		snprintf(check, len, "signal %d", code - 128);
	} else {
		snprintf(check, len, "exit %d", code);
	}
}

/* The step a controlled child failed at, from its stderr; 0 if none. */
static uint64_t
child_step(const char *err)
{
	char line[LINE_MAX_LEN];
	uint64_t step = 0;
	const char *p = "schedule: failed at step ";

	if (find_line(err, p, line, sizeof (line)) == 0) {
		char *s = line + strlen(p);

		s[strcspn(s, " ")] = '\0';
		(void) vt_parse_u64(s, &step);
	}
	return (step);
}

/* The child's replay line (first stderr line that is a command). */
static void
child_replay(const char *err, char *buf, size_t len)
{
	if (find_line(err, "vmtorture run ", buf, len) != 0)
		(void) find_line(err, NULL, buf, len);
}

/*
 * Run argv to completion (killed after timeout seconds, if > 0) with its
 * output in out/err.  Returns the exit code (-1: could not start; 124:
 * killed by the timeout).
 */
static int
run_child(char *const argv[], const char *out, const char *err,
    double timeout)
{
	pid_t pid = spawn_child(argv, out, err);
	double deadline = timeout > 0 ? now_s() + timeout : 0;
	int st;

	if (pid < 0)
		return (-1);
	for (;;) {
		pid_t r = waitpid(pid, &st, timeout > 0 ? WNOHANG : 0);

		if (r == pid)
			return (exit_code(st));
		if (r < 0 && errno != EINTR)
			return (-1);
		if (r == 0) {
			if (now_s() >= deadline) {
				kill(pid, SIGKILL);
				(void) waitpid(pid, &st, 0);
				return (124);
			}
			sleep_ms(2);
		}
	}
}

/* Split a command line into words (no quoting: option values have none). */
static int
split_words(const char *line, struct argv_buf *a)
{
	char *copy = strdup(line), *save = NULL, *w;
	int rc = 0;

	if (copy == NULL)
		return (-1);
	for (w = strtok_r(copy, " \t\n", &save); w != NULL;
	    w = strtok_r(NULL, " \t\n", &save))
		if ((rc = argv_dup(a, w)) != 0)
			break;
	free(copy);
	return (rc);
}

/*
 * Copy the words of a `run` command (from index i of src) into dst,
 * leaving out --schedule/--trace/--json and their values, -q and --tap.
 */
static int
copy_run_words(const struct argv_buf *src, int i, struct argv_buf *dst)
{
	for (; i < src->n; i++) {
		const char *w = src->v[i];

		if (is_opt(w, "schedule") || is_opt(w, "trace") ||
		    is_opt(w, "json")) {
			if (value_follows(w))
				i++;
			continue;
		}
		if (strcmp(w, "-q") == 0 || strcmp(w, "--quiet") == 0 ||
		    strcmp(w, "--tap") == 0)
			continue;
		if (argv_dup(dst, w) != 0)
			return (-1);
	}
	return (0);
}

/*
 * Header of a trace/schedule file: the words after "# vmtorture run" into
 * a, without --schedule/--trace.  Returns 0, or -1 if the file has none.
 */
static int
read_header(const char *path, struct argv_buf *a)
{
	char line[LINE_MAX_LEN];
	struct argv_buf w = { 0 };
	int rc;

	if (find_line(path, "# vmtorture run ", line, sizeof (line)) != 0)
		return (-1);
	if (split_words(line, &w) != 0) {
		argv_free(&w);
		return (-1);
	}
	/* w: "#" "vmtorture" "run" SCENARIO ... */
	rc = w.n >= 4 ? copy_run_words(&w, 3, a) : -1;
	argv_free(&w);
	return (rc);
}

/* ---- hunt ---- */

struct hunt_child {
	pid_t		pid;		/* 0: slot free */
	uint64_t	seed;
	bool		killed;		/* by us: its result does not count */
	bool		timedout;	/* killed by --timeout: a failure */
	double		started;	/* now_s() at its start */
	char		out[PATH_MAX], err[PATH_MAX];
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
	    "schedule (controlled mode).\n"
	    "  --timeout S kills a child after S seconds (counted as a "
	    "failure: hang).\n"
	    "  Exit: 1 a seed failed, 0 none did, 2 usage error.\n");
}

static void
remove_files(struct hunt_child *c)
{
	(void) unlink(c->out);
	(void) unlink(c->err);
}

int
vt_hunt_main(int argc, char **argv)
{
	struct argv_buf pass = { 0 }, check_argv = { 0 };
	struct hunt_child kids[MAX_JOBS];
	const char *seeds = NULL, *sched_seeds = NULL, *val, *what;
	const struct vt_scenario_ops *sc;
	struct vt_config cfg;
	uint64_t lo = 0, hi = 0, next, best = UINT64_MAX, jobs;
	uint64_t runs = 0;
	bool shrink = false, have_sched = false;
	const char *shrinkopt[4];
	int nshrinkopt = 0;
	double timeout = 0, t0, t;
	char dir[PATH_MAX], seedbuf[32], bestcheck[64] = "", bestreplay[2048];
	int nrun = 0, rc = VT_EXIT_PASS;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	jobs = ncpu > 0 ? (uint64_t)ncpu : 1;
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
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (take_opt(argc, argv, &i, "seeds", &val)) {
			seeds = val;
			if (val == NULL || parse_range(val, &lo, &hi) != 0)
				goto badrange;
		} else if (take_opt(argc, argv, &i, "sched-seeds", &val)) {
			sched_seeds = val;
			if (val == NULL || parse_range(val, &lo, &hi) != 0)
				goto badrange;
		} else if (take_opt(argc, argv, &i, "jobs", &val)) {
			if (val == NULL || vt_parse_u64(val, &jobs) != 0 ||
			    jobs < 1 || jobs > MAX_JOBS) {
				fprintf(stderr, "vmtorture hunt: --jobs %s: "
				    "expected 1..%d\n", val ? val : "",
				    MAX_JOBS);
				return (VT_EXIT_USAGE);
			}
		} else if (take_opt(argc, argv, &i, "timeout", &val)) {
			if (val == NULL || vt_parse_double(val, &timeout) != 0 ||
			    timeout < 0) {
				fprintf(stderr, "vmtorture hunt: --timeout: "
				    "expected seconds\n");
				return (VT_EXIT_USAGE);
			}
		} else if (strcmp(a, "--shrink") == 0) {
			shrink = true;
		} else if (take_opt(argc, argv, &i, "out", &val) ||
		    take_opt(argc, argv, &i, "max-runs", &val)) {
			/* For --shrink: handed to shrink as given. */
			if (val == NULL || nshrinkopt + 2 > 4) {
				fprintf(stderr, "vmtorture hunt: %s: missing "
				    "value\n", a);
				return (VT_EXIT_USAGE);
			}
			shrinkopt[nshrinkopt++] = is_opt(a, "out") ? "--out" :
			    "--max-runs";
			shrinkopt[nshrinkopt++] = val;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			hunt_usage(stdout);
			return (VT_EXIT_PASS);
		} else if (is_opt(a, "trace") || is_opt(a, "json") ||
		    is_opt(a, "schedule") || is_opt(a, "stop-at-step")) {
			fprintf(stderr, "vmtorture hunt: %s is per run: use it "
			    "with the replay line instead\n", a);
			return (VT_EXIT_USAGE);
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			continue;	/* children always run -q */
		} else {
			if (is_opt(a, "sched"))
				have_sched = true;
			if (argv_put(&pass, a) != 0)
				return (VT_EXIT_USAGE);
		}
	}
	if ((seeds == NULL) == (sched_seeds == NULL)) {
		fprintf(stderr, "vmtorture hunt: give exactly one of --seeds "
		    "A-B and --sched-seeds A-B\n");
		return (VT_EXIT_USAGE);
	}
	what = seeds != NULL ? "seed" : "sched-seed";
	for (int i = 0; i < pass.n; i++) {
		if (is_opt(pass.v[i], what)) {
			fprintf(stderr, "vmtorture hunt: --%s conflicts with "
			    "--%ss\n", what, what);
			return (VT_EXIT_USAGE);
		}
	}
	if (sched_seeds != NULL && !have_sched) {
		/* --sched-seeds means controlled mode: pct unless told. */
		if (argv_put(&pass, "--sched") != 0 ||
		    argv_put(&pass, "pct") != 0)
			return (VT_EXIT_USAGE);
	}

	/* Validate the first child's options here: one line, exit 2. */
	snprintf(seedbuf, sizeof (seedbuf), "%" PRIu64, lo);
	argv_put(&check_argv, argv[0]);
	for (int i = 0; i < pass.n; i++)
		argv_put(&check_argv, pass.v[i]);
	argv_put(&check_argv, seeds != NULL ? "--seed" : "--sched-seed");
	argv_put(&check_argv, seedbuf);
	{
		int prc = vt_config_parse(&cfg, &sc, check_argv.n,
		    check_argv.v);

		if (prc != 0)
			return (prc > 0 ? VT_EXIT_PASS : VT_EXIT_USAGE);
	}
	if (sched_seeds != NULL && cfg.sched == VT_SCHED_FREE) {
		fprintf(stderr, "vmtorture hunt: --sched-seeds needs "
		    "--sched random or pct\n");
		return (VT_EXIT_USAGE);
	}
	if (make_tmpdir(dir, sizeof (dir)) != 0)
		return (VT_EXIT_INTERNAL);

	memset(kids, 0, sizeof (kids));
	t0 = now_s();
	next = lo;
	for (;;) {
		/* Start seeds in increasing order while none has failed. */
		while (best == UINT64_MAX && next <= hi &&
		    (uint64_t)nrun < jobs) {
			struct argv_buf ca = { 0 };
			struct hunt_child *c = NULL;
			char sbuf[32];

			for (uint64_t j = 0; j < jobs; j++)
				if (kids[j].pid == 0) {
					c = &kids[j];
					break;
				}
			snprintf(sbuf, sizeof (sbuf), "%" PRIu64, next);
			argv_put(&ca, self_exe());
			argv_put(&ca, "run");
			argv_put(&ca, argv[0]);
			if (seeds != NULL) {
				argv_put(&ca, "--seed");
				argv_put(&ca, sbuf);
			}
			for (int i = 0; i < pass.n; i++)
				argv_put(&ca, pass.v[i]);
			if (sched_seeds != NULL) {
				argv_put(&ca, "--sched-seed");
				argv_put(&ca, sbuf);
			}
			argv_put(&ca, "-q");
			{
				char nm[48];

				snprintf(nm, sizeof (nm), "/%s.out", sbuf);
				(void) cat_path(c->out, sizeof (c->out), dir, nm);
				snprintf(nm, sizeof (nm), "/%s.err", sbuf);
				(void) cat_path(c->err, sizeof (c->err), dir, nm);
			}
			c->seed = next;
			c->killed = false;
			c->timedout = false;
			c->started = now_s();
			c->pid = spawn_child(ca.v, c->out, c->err);
			if (c->pid < 0) {
				c->pid = 0;
				rc = VT_EXIT_INTERNAL;
				goto out;
			}
			nrun++;
			next++;
		}
		if (nrun == 0)
			break;

		/* Reap one child (polling only to enforce --timeout). */
		{
			struct hunt_child *c = NULL;
			int st, code;
			pid_t pid;

			pid = waitpid(-1, &st, timeout > 0 ? WNOHANG : 0);
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
				double tn = now_s();

				for (uint64_t j = 0; j < jobs; j++)
					if (kids[j].pid != 0 && !kids[j].killed &&
					    !kids[j].timedout &&
					    tn > kids[j].started + timeout) {
						kill(kids[j].pid, SIGKILL);
						kids[j].timedout = true;
					}
				sleep_ms(2);
				continue;
			}
			for (uint64_t j = 0; j < jobs; j++)
				if (kids[j].pid == pid)
					c = &kids[j];
			if (c == NULL)
				continue;	/* not one of ours */
			nrun--;
			c->pid = 0;
			if (c->killed) {
				remove_files(c);
				continue;
			}
			runs++;
			code = c->timedout ? VT_EXIT_HANG : exit_code(st);
			if (code == VT_EXIT_USAGE && !c->timedout) {
				char line[LINE_MAX_LEN];

				(void) find_line(c->err, NULL, line,
				    sizeof (line));
				fprintf(stderr, "%s\n", line[0] ? line :
				    "vmtorture hunt: the run is a usage error");
				rc = VT_EXIT_USAGE;
				best = 0;	/* start nothing more */
				remove_files(c);
				goto out;
			}
			if (code != VT_EXIT_PASS && c->seed < best) {
				best = c->seed;
				if (c->timedout)
					snprintf(bestcheck, sizeof (bestcheck),
					    "timeout");
				else
					child_check(c->out, c->err, code,
					    bestcheck, sizeof (bestcheck));
				child_replay(c->err, bestreplay,
				    sizeof (bestreplay));
				/* Higher seeds cannot win: stop them. */
				for (uint64_t j = 0; j < jobs; j++)
					if (kids[j].pid != 0 &&
					    kids[j].seed > best &&
					    !kids[j].killed) {
						kill(kids[j].pid, SIGKILL);
						kids[j].killed = true;
					}
			}
			remove_files(c);
		}
	}

	t = now_s() - t0;
	if (best != UINT64_MAX) {
		printf("hunt: %s %" PRIu64 " failed (%s) after %" PRIu64
		    " runs in %.2f s (%.1f seeds/s)\n", what, best, bestcheck,
		    runs, t, t > 0 ? (double)runs / t : 0.0);
		printf("%s\n", bestreplay);
		fflush(stdout);
		rc = VT_EXIT_FAIL;	/* whatever the child's code was */
		if (shrink) {
			struct argv_buf w = { 0 };

			if (cfg.sched == VT_SCHED_FREE) {
				printf("hunt: --shrink: a free-running failure "
				    "has no schedule to shrink (try "
				    "--sched-seeds with --sched pct)\n");
			} else if (split_words(bestreplay, &w) == 0 &&
			    w.n > 2) {
				for (int i = 0; i < nshrinkopt; i++)
					(void) argv_dup(&w, shrinkopt[i]);
				/* w: "vmtorture" "run" SCENARIO ... */
				(void) vt_shrink_main(w.n - 2, w.v + 2);
			}
			argv_free(&w);
		}
	} else {
		printf("hunt: no failure in %ss %" PRIu64 "-%" PRIu64
		    " (%" PRIu64 " runs, %.2f s, %.1f seeds/s)\n", what, lo, hi,
		    runs, t, t > 0 ? (double)runs / t : 0.0);
		rc = VT_EXIT_PASS;
	}
out:
	for (uint64_t j = 0; j < jobs; j++) {
		if (kids[j].pid != 0) {
			int st;

			kill(kids[j].pid, SIGKILL);
			(void) waitpid(kids[j].pid, &st, 0);
			remove_files(&kids[j]);
		}
	}
	(void) rmdir(dir);
	fflush(stdout);
	return (rc);

badrange:
	fprintf(stderr, "vmtorture hunt: --seeds/--sched-seeds %s: expected "
	    "A-B with A <= B\n", val != NULL ? val : "");
	return (VT_EXIT_USAGE);
}

/* ---- replay ---- */

int
vt_replay_main(int argc, char **argv)
{
	struct argv_buf a = { 0 };
	struct stat sb;
	int rc;

	if (argc < 1 || strcmp(argv[0], "-h") == 0 ||
	    strcmp(argv[0], "--help") == 0) {
		fprintf(argc < 1 ? stderr : stdout,
		    "usage: vmtorture replay TRACE-OR-SCHEDULE-FILE "
		    "[run options]\n"
		    "       vmtorture replay SCENARIO [run options]   (same as "
		    "run)\n");
		return (argc < 1 ? VT_EXIT_USAGE : VT_EXIT_PASS);
	}
	if (stat(argv[0], &sb) != 0 || !S_ISREG(sb.st_mode)) {
		if (vt_scenario_find(argv[0]) == NULL) {
			fprintf(stderr, "vmtorture replay: %s: neither a trace/"
			    "schedule file nor a scenario\n", argv[0]);
			return (VT_EXIT_USAGE);
		}
		return (vt_run_main(argc, argv));
	}
	if (read_header(argv[0], &a) != 0) {
		fprintf(stderr, "vmtorture replay: %s: no '# vmtorture run ...' "
		    "header line\n", argv[0]);
		argv_free(&a);
		return (VT_EXIT_USAGE);
	}
	if (argv_dup(&a, "--schedule") != 0 || argv_dup(&a, argv[0]) != 0) {
		argv_free(&a);
		return (VT_EXIT_USAGE);
	}
	for (int i = 1; i < argc; i++)
		if (argv_dup(&a, argv[i]) != 0) {
			argv_free(&a);
			return (VT_EXIT_USAGE);
		}
	/* On stdout: stderr's first line stays the failure's replay line. */
	printf("replay: vmtorture run");
	for (int i = 0; i < a.n; i++)
		printf(" %s", a.v[i]);
	printf("\n");
	fflush(stdout);
	rc = vt_run_main(a.n, a.v);
	argv_free(&a);
	return (rc);
}

/* ---- shrink ---- */

struct shrink_state {
	struct argv_buf	base;		/* SCENARIO + options (header's) */
	char		**sw;		/* switch lines of the schedule */
	size_t		nsw;
	char		header[LINE_MAX_LEN];
	char		check[64];	/* the failure to keep */
	int		code;
	uint64_t	step;		/* step of the last reproduction */
	uint64_t	runs, max_runs;
	double		timeout;
	char		dir[PATH_MAX];
};

/* Write the header and the switches flagged in keep (NULL: all). */
static int
write_schedule(const struct shrink_state *s, const char *path,
    const bool *keep, const char *note)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		fprintf(stderr, "vmtorture shrink: cannot write %s: %s\n",
		    path, strerror(errno));
		return (-1);
	}
	fprintf(f, "%s\n", s->header);
	if (note != NULL)
		fprintf(f, "# %s\n", note);
	for (size_t i = 0; i < s->nsw; i++)
		if (keep == NULL || keep[i])
			fputs(s->sw[i], f);
	if (fclose(f) != 0)
		return (-1);
	return (0);
}

/* Does the schedule keep (NULL: all switches) still fail the same way? */
static bool
still_fails(struct shrink_state *s, const bool *keep)
{
	struct argv_buf a = { 0 };
	char sched[PATH_MAX], out[PATH_MAX], err[PATH_MAX], check[64];
	int code;
	bool same;

	(void) cat_path(sched, sizeof (sched), s->dir, "/cand.sched");
	(void) cat_path(out, sizeof (out), s->dir, "/cand.out");
	(void) cat_path(err, sizeof (err), s->dir, "/cand.err");
	if (write_schedule(s, sched, keep, NULL) != 0)
		return (false);
	argv_put(&a, self_exe());
	argv_put(&a, "run");
	for (int i = 0; i < s->base.n; i++)
		argv_put(&a, s->base.v[i]);
	argv_put(&a, "--schedule");
	argv_put(&a, sched);
	argv_put(&a, "-q");
	s->runs++;
	code = run_child(a.v, out, err, s->timeout);
	if (code <= 0 || code == 124 || code == VT_EXIT_USAGE)
		return (false);
	child_check(out, err, code, check, sizeof (check));
	same = code == s->code && strcmp(check, s->check) == 0;
	if (same)
		s->step = child_step(err);
	return (same);
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

int
vt_shrink_main(int argc, char **argv)
{
	struct shrink_state s;
	struct argv_buf user = { 0 }, first = { 0 }, cfgv = { 0 };
	const struct vt_scenario_ops *sc;
	struct vt_config cfg;
	const char *outpath = NULL, *trace = NULL, *val;
	char tracebuf[PATH_MAX], shrunk[PATH_MAX], out[PATH_MAX],
	    err[PATH_MAX], line[LINE_MAX_LEN], note[128];
	bool *keep = NULL, *cand = NULL;
	size_t n0, kept, chunk;
	uint64_t step0;
	int code, hdr, rc = VT_EXIT_INTERNAL;
	FILE *f;

	memset(&s, 0, sizeof (s));
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
	argv_put(&user, argv[0]);
	for (int i = 1; i < argc; i++) {
		if (take_opt(argc, argv, &i, "out", &val)) {
			outpath = val;
		} else if (take_opt(argc, argv, &i, "trace", &val)) {
			trace = val;
		} else if (take_opt(argc, argv, &i, "max-runs", &val)) {
			if (val == NULL || vt_parse_u64(val, &s.max_runs) != 0) {
				fprintf(stderr, "vmtorture shrink: --max-runs: "
				    "expected a number\n");
				return (VT_EXIT_USAGE);
			}
		} else if (take_opt(argc, argv, &i, "timeout", &val)) {
			if (val == NULL || vt_parse_double(val, &s.timeout) != 0) {
				fprintf(stderr, "vmtorture shrink: --timeout: "
				    "expected seconds\n");
				return (VT_EXIT_USAGE);
			}
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			shrink_usage(stdout);
			return (VT_EXIT_PASS);
		} else if (strcmp(argv[i], "-q") == 0 ||
		    strcmp(argv[i], "--quiet") == 0 ||
		    strcmp(argv[i], "--tap") == 0) {
			continue;
		} else if (is_opt(argv[i], "json")) {
			if (value_follows(argv[i]))
				i++;
		} else {
			argv_put(&user, argv[i]);
		}
	}
	if ((outpath != NULL && *outpath == '\0') ||
	    (trace != NULL && *trace == '\0')) {
		fprintf(stderr, "vmtorture shrink: empty file name\n");
		return (VT_EXIT_USAGE);
	}
	for (int i = 0; i < user.n; i++)
		argv_put(&cfgv, user.v[i]);
	if (vt_config_parse(&cfg, &sc, cfgv.n, cfgv.v) != 0)
		return (VT_EXIT_USAGE);
	if (cfg.sched == VT_SCHED_FREE) {
		fprintf(stderr, "vmtorture shrink: needs a controlled run "
		    "(--sched random or pct); a free run has no schedule\n");
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
		if (cat_path(shrunk, sizeof (shrunk), trace, ".shrunk") != 0) {
			fprintf(stderr, "vmtorture shrink: path too long\n");
			return (VT_EXIT_USAGE);
		}
		outpath = shrunk;
	}
	if (make_tmpdir(s.dir, sizeof (s.dir)) != 0)
		return (VT_EXIT_INTERNAL);
	(void) cat_path(out, sizeof (out), s.dir, "/first.out");
	(void) cat_path(err, sizeof (err), s.dir, "/first.err");

	/* 1. The full run, traced (no stale trace may pass for its own). */
	(void) unlink(trace);
	argv_put(&first, self_exe());
	argv_put(&first, "run");
	for (int i = 0; i < user.n; i++)
		argv_put(&first, user.v[i]);
	argv_put(&first, "--trace");
	argv_put(&first, trace);
	argv_put(&first, "-q");
	code = run_child(first.v, out, err, s.timeout);
	s.runs = 1;
	if (code == VT_EXIT_PASS || code == VT_EXIT_USAGE || code < 0 ||
	    code == 124) {
		(void) find_line(err, NULL, line, sizeof (line));
		fprintf(stderr, "vmtorture shrink: the run %s%s%s\n",
		    code == VT_EXIT_PASS ? "passes: nothing to shrink" :
		    code == 124 ? "timed out" : "did not run",
		    code == VT_EXIT_USAGE ? ": " : "",
		    code == VT_EXIT_USAGE ? line : "");
		rc = code == VT_EXIT_PASS || code == VT_EXIT_USAGE ?
		    VT_EXIT_USAGE : VT_EXIT_INTERNAL;
		goto out;
	}
	s.code = code;
	child_check(out, err, code, s.check, sizeof (s.check));
	step0 = child_step(err);

	/*
	 * A pct run with --steps 0 first counts its
	 * schedule points in an untraced pass under the random strategy; a
	 * failure there leaves no trace.  That pass is `--sched random` with
	 * the same seeds, so trace that instead (same check required).
	 */
	hdr = read_header(trace, &s.base);
	if (hdr != 0 && cfg.sched == VT_SCHED_PCT && cfg.steps == 0 &&
	    cfg.schedule == NULL) {
		char check[64];
		int code2;

		printf("shrink: the pct run failed in its untraced k-learning "
		    "pass (random strategy): tracing it as --sched random\n");
		first.n -= 3;		/* drop --trace FILE -q */
		argv_put(&first, "--sched");
		argv_put(&first, "random");
		argv_put(&first, "--trace");
		argv_put(&first, trace);
		argv_put(&first, "-q");
		code2 = run_child(first.v, out, err, s.timeout);
		s.runs++;
		child_check(out, err, code2, check, sizeof (check));
		if (code2 != s.code || strcmp(check, s.check) != 0) {
			fprintf(stderr, "vmtorture shrink: as --sched random "
			    "the run ends differently (%s, exit %d)\n", check,
			    code2);
			rc = VT_EXIT_INTERNAL;
			goto out;
		}
		step0 = child_step(err);
		argv_free(&s.base);
		hdr = read_header(trace, &s.base);
	}
	/* 2. Its header and switch lines. */
	if (hdr != 0) {
		fprintf(stderr, "vmtorture shrink: %s: no trace header\n",
		    trace);
		goto out;
	}
	snprintf(s.header, sizeof (s.header), "# vmtorture run");
	for (int i = 0; i < s.base.n; i++) {
		size_t l = strlen(s.header);

		snprintf(s.header + l, sizeof (s.header) - l, " %s",
		    s.base.v[i]);
	}
	f = fopen(trace, "r");
	if (f == NULL) {
		fprintf(stderr, "vmtorture shrink: cannot read %s\n", trace);
		goto out;
	}
	{
		size_t cap = 0;

		while (fgets(line, sizeof (line), f) != NULL) {
			unsigned long long st;
			unsigned who, to;
			char *arrow = strstr(line, "->");

			if (line[0] == '#' || arrow == NULL ||
			    sscanf(line, "%llu %u", &st, &who) != 2 ||
			    sscanf(arrow, "-> %u", &to) != 1 || who == to)
				continue;
			if (s.nsw == cap) {
				cap = cap ? cap * 2 : 1024;
				s.sw = realloc(s.sw, cap * sizeof (*s.sw));
				if (s.sw == NULL) {
					fclose(f);
					goto out;
				}
			}
			if ((s.sw[s.nsw++] = strdup(line)) == NULL) {
				fclose(f);
				goto out;
			}
		}
		fclose(f);
	}
	n0 = s.nsw;
	printf("shrink: %s fails (%s) at step %" PRIu64 " with %zu switches; "
	    "trace %s\n", sc->name, s.check, step0, n0, trace);
	fflush(stdout);

	/* 3. The switches alone must reproduce it. */
	if (!still_fails(&s, NULL)) {
		fprintf(stderr, "vmtorture shrink: replaying the trace's %zu "
		    "switches does not fail the same way (%s); not shrinking\n",
		    n0, s.check);
		rc = VT_EXIT_INTERNAL;
		goto out;
	}
	if (s.step != step0)
		printf("shrink: note: the trace's switches alone fail at step "
		    "%" PRIu64 ", not %" PRIu64 " (replay of this trace is not "
		    "step-exact)\n", s.step, step0);

	/*
	 * 4. Greedy deletion: chunks of n/2, n/4, ... 1 switches; a deletion
	 * stays when the run still fails the same check.
	 */
	keep = malloc((n0 + 1) * sizeof (*keep));
	cand = malloc((n0 + 1) * sizeof (*cand));
	if (keep == NULL || cand == NULL)
		goto out;
	for (size_t i = 0; i < n0; i++)
		keep[i] = true;
	kept = n0;
	chunk = n0 / 2 > 0 ? n0 / 2 : 1;
	while (kept > 0 && s.runs < s.max_runs) {
		bool removed = false;
		size_t pos = 0;		/* index among the kept switches */

		while (pos < kept && s.runs < s.max_runs) {
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
			if (still_fails(&s, cand)) {
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
	if (kept == 0 || s.step == 0)
		(void) still_fails(&s, keep);	/* refresh the failing step */

	snprintf(note, sizeof (note), "shrunk by vmtorture shrink: %zu -> %zu "
	    "switches (%" PRIu64 " runs)", n0, kept, s.runs);
	if (write_schedule(&s, outpath, keep, note) != 0)
		goto out;
	printf("shrink: %zu -> %zu switches (%" PRIu64 " runs%s); fails (%s) "
	    "at step %" PRIu64 "\n", n0, kept, s.runs,
	    s.runs >= s.max_runs ? ", --max-runs reached" : "", s.check,
	    s.step);
	printf("vmtorture run");
	for (int i = 0; i < s.base.n; i++)
		printf(" %s", s.base.v[i]);
	printf(" --schedule %s\n", outpath);
	rc = VT_EXIT_PASS;
out:
	fflush(stdout);
	(void) cat_path(line, sizeof (line), s.dir, "/cand.sched");
	(void) unlink(line);
	(void) cat_path(line, sizeof (line), s.dir, "/cand.out");
	(void) unlink(line);
	(void) cat_path(line, sizeof (line), s.dir, "/cand.err");
	(void) unlink(line);
	(void) unlink(out);
	(void) unlink(err);
	(void) rmdir(s.dir);
	for (size_t i = 0; i < s.nsw; i++)
		free(s.sw[i]);
	free(s.sw);
	free(keep);
	free(cand);
	argv_free(&s.base);
	return (rc);
}
