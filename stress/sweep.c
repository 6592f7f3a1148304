/*
 * sweep.c - `vmtorture sweep SCENARIO [--X-locks LIST]... [--threads LIST]
 * [--lock LIST] [--repeat R] [--duration S] [--csv F] [--png F]
 * [--plot dumb|none] [run options]`: the grid of child runs (see sweep.h).
 *
 * Harness code (not ported).  Every point's command line is parsed before
 * anything runs, so a bad value is a usage error (exit 2) and not a failed
 * child; repetitions are interleaved (repetition r of every point before
 * repetition r+1 of any), so drift on a shared machine hits every point
 * alike.  A child whose checks fail ends the sweep with its replay line
 * (exit 1): a bug found while tuning is still a bug.
 */
#include "sweep.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "child.h"
#include "output.h"
#include "run.h"

static struct sweep S;
static struct vt_config cfg;		/* one point's parsed configuration */

static void
sweep_usage(FILE *f)
{
	fprintf(f,
	    "usage: vmtorture sweep SCENARIO --X-locks N,N,... [--X-locks ...] "
	    "[--threads N,...]\n"
	    "           [--lock NAME,...] [--repeat R] [--duration S] [--csv FILE] "
	    "[--png FILE]\n"
	    "           [--plot dumb|none] [run options]\n"
	    "Runs the scenario at every point of the grid (free mode, child "
	    "runs, one at a time,\nrepetitions interleaved) and prints medians, "
	    "the contention of each swept table,\na T^2/N collision model fitted "
	    "to it, and the smallest size within 5%% of the best\nthroughput "
	    "beside the illumos and Linux rules of thumb.\n"
	    "  --X-locks LIST  sizes of a lock table (--mlist-locks, --hash-locks, "
	    "--htable-locks, ...);\n"
	    "                  the first one given is the x axis of the plots\n"
	    "  --threads LIST  worker counts [the scenario's]\n"
	    "  --lock LIST     lock back ends [pthread]\n"
	    "  --repeat R      repetitions of every point, 1..%d [3]\n"
	    "  --duration S    length of each run [1s]\n"
	    "  --csv FILE      every run as a CSV row\n"
	    "  --png FILE      throughput and contention rate against size "
	    "(gnuplot)\n"
	    "  --plot dumb     the same plots on the terminal; none: no plot "
	    "[none]\n", SWEEP_MAX_REPEAT);
}

static int
usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage_err(const char *fmt, ...)
{
	va_list ap;

	fputs("vmtorture sweep: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return (-1);
}

/* Is word an axis option?  Sets *name (without "--", up to '='). */
static bool
axis_name(const char *a, char *name, size_t len)
{
	const char *eq;
	size_t n;

	if (strncmp(a, "--", 2) != 0)
		return (false);
	a += 2;
	eq = strchr(a, '=');
	n = eq != NULL ? (size_t)(eq - a) : strlen(a);
	if (n + 1 > len)
		return (false);
	memcpy(name, a, n);
	name[n] = '\0';
	if (strcmp(name, "threads") == 0 || strcmp(name, "lock") == 0)
		return (true);
	return (n > 6 && strcmp(name + n - 6, "-locks") == 0);
}

/* Split list into axis values (words stay in list's copy). */
static int
add_axis(const char *name, const char *list)
{
	struct sweep_axis *ax;
	char *copy, *save = NULL, *w;

	for (uint32_t i = 0; i < S.naxes; i++)
		if (strcmp(S.axes[i].name, name) == 0)
			return (usage_err("--%s given twice", name));
	if (S.naxes == SWEEP_MAX_AXES)
		return (usage_err("more than %d axes", SWEEP_MAX_AXES));
	ax = &S.axes[S.naxes];
	memset(ax, 0, sizeof (*ax));
	snprintf(ax->name, sizeof (ax->name), "%s", name);
	ax->size = strcmp(name, "threads") != 0 && strcmp(name, "lock") != 0;
	if (list == NULL || *list == '\0')
		return (usage_err("--%s: missing list", name));
	if ((copy = strdup(list)) == NULL)
		return (usage_err("out of memory"));
	for (w = strtok_r(copy, ",", &save); w != NULL;
	    w = strtok_r(NULL, ",", &save)) {
		if (ax->n == SWEEP_MAX_VALUES)
			return (usage_err("--%s: more than %d values", name,
			    SWEEP_MAX_VALUES));
		for (uint32_t k = 0; k < ax->n; k++)
			if (strcmp(ax->val[k], w) == 0)
				return (usage_err("--%s: %s given twice", name,
				    w));
		ax->val[ax->n] = w;
		if (strcmp(name, "lock") != 0 &&
		    vt_parse_u64(w, &ax->num[ax->n]) != 0)
			return (usage_err("--%s %s: expected numbers "
			    "separated by commas", name, list));
		ax->n++;
	}
	if (ax->n == 0)
		return (usage_err("--%s: empty list", name));
	if (strcmp(name, "threads") == 0)
		S.thr_axis = (int)S.naxes;
	if (ax->size && S.xaxis < 0)
		S.xaxis = (int)S.naxes;
	S.naxes++;
	return (0);
}

/* 0 to sweep, 1 help printed, -1 usage error (message printed). */
static int
parse_args(int argc, char **argv)
{
	const char *val = NULL, *duration = "1";
	bool have_len = false;
	char name[64];

	memset(&S, 0, sizeof (S));
	S.xaxis = S.thr_axis = -1;
	S.repeat = 3;
	if (argc < 1 || argv[0][0] == '-') {
		if (argc >= 1 && (strcmp(argv[0], "-h") == 0 ||
		    strcmp(argv[0], "--help") == 0)) {
			sweep_usage(stdout);
			return (1);
		}
		return (usage_err("missing scenario (see `vmtorture list`)"));
	}
	S.scenario = argv[0];
	S.pass = calloc((size_t)argc + 8, sizeof (char *));
	if (S.pass == NULL)
		return (usage_err("out of memory"));
	S.pass[S.npass++] = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		uint64_t u;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			sweep_usage(stdout);
			return (1);
		} else if (vt_child_take_opt(argc, argv, &i, "repeat", &val)) {
			if (val == NULL || vt_parse_u64(val, &u) != 0 || u < 1 ||
			    u > SWEEP_MAX_REPEAT)
				return (usage_err("--repeat %s: expected 1..%d",
				    val ? val : "", SWEEP_MAX_REPEAT));
			S.repeat = (uint32_t)u;
		} else if (vt_child_take_opt(argc, argv, &i, "csv", &val)) {
			if ((S.csv = val) == NULL)
				return (usage_err("--csv: missing file"));
		} else if (vt_child_take_opt(argc, argv, &i, "png", &val)) {
			if ((S.png = val) == NULL)
				return (usage_err("--png: missing file"));
		} else if (vt_child_take_opt(argc, argv, &i, "plot", &val)) {
			if (val == NULL || (strcmp(val, "dumb") != 0 &&
			    strcmp(val, "none") != 0))
				return (usage_err("--plot %s: expected dumb or "
				    "none", val ? val : ""));
			S.plot = strcmp(val, "dumb") == 0 ? val : NULL;
		} else if (vt_child_take_opt(argc, argv, &i, "duration", &val)) {
			if ((duration = val) == NULL)
				return (usage_err("--duration: missing value"));
			have_len = true;
		} else if (vt_child_is_opt(a, "ops")) {
			return (usage_err("--ops: a sweep measures throughput "
			    "over --duration"));
		} else if (vt_child_is_opt(a, "sched")) {
			(void) vt_child_take_opt(argc, argv, &i, "sched", &val);
			if (val == NULL || strcmp(val, "free") != 0)
				return (usage_err("--sched %s: a sweep measures "
				    "free mode", val ? val : ""));
		} else if (axis_name(a, name, sizeof (name))) {
			(void) vt_child_take_opt(argc, argv, &i, name, &val);
			if (add_axis(name, val) != 0)
				return (-1);
		} else {
			S.pass[S.npass++] = argv[i];
		}
	}
	(void) have_len;
	S.pass[S.npass++] = (char *)(uintptr_t)"--duration";
	S.pass[S.npass++] = (char *)(uintptr_t)duration;
	if (S.xaxis < 0)
		return (usage_err("no lock-table size list (e.g. --mlist-locks "
		    "1,16,256,2048)"));
	if (S.png != NULL && !vt_sweep_have_gnuplot())
		return (usage_err("--png %s: gnuplot is not installed "
		    "(Debian: gnuplot-nox)", S.png));
	if (S.plot != NULL && !vt_sweep_have_gnuplot())
		return (usage_err("--plot dumb: gnuplot is not installed "
		    "(Debian: gnuplot-nox)"));
	if ((S.csv != NULL && vt_output_check("--csv", S.csv) != 0) ||
	    (S.png != NULL && vt_output_check("--png", S.png) != 0))
		return (-1);
	return (0);
}

const char *
vt_sweep_val(const struct sweep *s, const struct sweep_point *p, uint32_t a)
{
	return (s->axes[a].val[p->idx[a]]);
}

uint64_t
vt_sweep_num(const struct sweep *s, const struct sweep_point *p, uint32_t a)
{
	return (s->axes[a].num[p->idx[a]]);
}

/* The grid, last axis fastest. */
static int
build_points(void)
{
	uint64_t n = 1;

	for (uint32_t a = 0; a < S.naxes; a++)
		n *= S.axes[a].n;
	if (n > SWEEP_MAX_POINTS)
		return (usage_err("%" PRIu64 " points: at most %d", n,
		    SWEEP_MAX_POINTS));
	S.npoints = (uint32_t)n;
	for (uint32_t i = 0; i < S.npoints; i++) {
		uint32_t r = i;

		for (int a = (int)S.naxes - 1; a >= 0; a--) {
			S.points[i].idx[a] = r % S.axes[a].n;
			r /= S.axes[a].n;
		}
		S.points[i].runs = calloc(S.repeat, sizeof (struct sweep_run));
		if (S.points[i].runs == NULL)
			return (usage_err("out of memory"));
	}
	return (0);
}

/*
 * Parse point p's command line into cfg (usage errors as `run` prints
 * them).  0, or -1.
 */
static int
parse_point(const struct sweep_point *p)
{
	char *argv[1024];
	char opt[SWEEP_MAX_AXES][64];
	int argc = 0;
	const struct vt_scenario_ops *sc;

	if (S.npass + 2 * (int)S.naxes + 1 > (int)(sizeof (argv) /
	    sizeof (argv[0])))
		return (usage_err("too many run options"));
	for (int i = 0; i < S.npass; i++)
		argv[argc++] = S.pass[i];
	for (uint32_t a = 0; a < S.naxes; a++) {
		snprintf(opt[a], sizeof (opt[a]), "--%s", S.axes[a].name);
		argv[argc++] = opt[a];
		argv[argc++] = (char *)(uintptr_t)vt_sweep_val(&S, p, a);
	}
	argv[argc] = NULL;
	if (vt_config_parse(&cfg, &sc, argc, argv) != 0)
		return (-1);
	if (cfg.sched != VT_SCHED_FREE)
		return (usage_err("a sweep measures free mode (the scenario "
		    "or its file sets --sched)"));
	return (0);
}

/* Read a finished child's report into run.  0, or -1 (message printed). */
static int
read_report(const char *path, struct sweep_run *run)
{
	json_object *root = json_object_from_file(path), *v, *locks;
	double secs = 0;
	uint64_t ops = 0;

	if (root == NULL) {
		fprintf(stderr, "vmtorture sweep: cannot read %s\n", path);
		return (-1);
	}
	if (json_object_object_get_ex(root, "seconds", &v))
		secs = json_object_get_double(v);
	if (json_object_object_get_ex(root, "role_ops", &v))
		ops = json_object_get_uint64(v);
	run->ops_per_s = secs > 0 ? (double)ops / secs : 0;
	run->nlocks = 0;
	if (json_object_object_get_ex(root, "locks", &locks)) {
		json_object_object_foreach(locks, name, lo) {
			struct sweep_lock *l;

			if (run->nlocks == SWEEP_MAX_CLASSES)
				break;
			l = &run->locks[run->nlocks++];
			snprintf(l->name, sizeof (l->name), "%s", name);
			if (json_object_object_get_ex(lo, "size", &v))
				l->size = json_object_get_uint64(v);
			if (json_object_object_get_ex(lo, "acquisitions", &v))
				l->acquisitions = json_object_get_uint64(v);
			if (json_object_object_get_ex(lo, "contended", &v))
				l->contended = json_object_get_uint64(v);
		}
	}
	json_object_put(root);
	run->done = true;
	return (0);
}

/*
 * The class each size axis sizes: a table whose size equals the axis value
 * in every run (the busiest such table if several do).
 */
static void
find_classes(void)
{
	const struct sweep_run *r0 = &S.points[0].runs[0];

	for (uint32_t a = 0; a < S.naxes; a++) {
		struct sweep_axis *ax = &S.axes[a];
		uint64_t best = 0;

		if (!ax->size)
			continue;
		for (uint32_t c = 0; c < r0->nlocks; c++) {
			const char *nm = r0->locks[c].name;
			bool follows = true;

			for (uint32_t i = 0; i < S.npoints && follows; i++) {
				const struct sweep_run *r = &S.points[i].runs[0];
				bool found = false;

				for (uint32_t k = 0; k < r->nlocks; k++)
					if (strcmp(r->locks[k].name, nm) == 0)
						found = r->locks[k].size ==
						    vt_sweep_num(&S, &S.points[i],
						    a);
				follows = found;
			}
			/* One value only: any table of that size would do. */
			if (follows && (ax->n > 1 || ax->cls[0] == '\0') &&
			    r0->locks[c].acquisitions >= best) {
				best = r0->locks[c].acquisitions;
				snprintf(ax->cls, sizeof (ax->cls), "%s", nm);
			}
		}
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static double
median(double *v, uint32_t n)
{
	qsort(v, n, sizeof (*v), cmp_double);
	return (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
}

/* Medians of every point. */
static void
summarise(void)
{
	double v[SWEEP_MAX_REPEAT];

	for (uint32_t i = 0; i < S.npoints; i++) {
		struct sweep_point *p = &S.points[i];

		for (uint32_t r = 0; r < S.repeat; r++)
			v[r] = p->runs[r].ops_per_s;
		p->med = median(v, S.repeat);
		p->lo = v[0];
		p->hi = v[S.repeat - 1];
		for (uint32_t a = 0; a < S.naxes; a++) {
			if (!S.axes[a].size || S.axes[a].cls[0] == '\0')
				continue;
			for (uint32_t r = 0; r < S.repeat; r++) {
				const struct sweep_run *run = &p->runs[r];

				v[r] = 0;
				for (uint32_t k = 0; k < run->nlocks; k++)
					if (strcmp(run->locks[k].name,
					    S.axes[a].cls) == 0 &&
					    run->locks[k].acquisitions > 0)
						v[r] = (double)run->locks[k].
						    contended / (double)run->
						    locks[k].acquisitions;
			}
			p->rate[a] = median(v, S.repeat);
		}
	}
}

/* --csv: one row per run. */
static int
write_csv(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (f == NULL)
		return (-1);
	fprintf(f, "scenario");
	for (uint32_t a = 0; a < S.naxes; a++)
		fprintf(f, ",%s", S.axes[a].name);
	fprintf(f, ",repetition,ops_per_s");
	for (uint32_t a = 0; a < S.naxes; a++)
		if (S.axes[a].size && S.axes[a].cls[0] != '\0')
			fprintf(f, ",%s_acquisitions,%s_contended",
			    S.axes[a].cls, S.axes[a].cls);
	fputc('\n', f);
	for (uint32_t r = 0; r < S.repeat; r++) {
		for (uint32_t i = 0; i < S.npoints; i++) {
			const struct sweep_point *p = &S.points[i];
			const struct sweep_run *run = &p->runs[r];

			fprintf(f, "%s", S.scenario);
			for (uint32_t a = 0; a < S.naxes; a++)
				fprintf(f, ",%s", vt_sweep_val(&S, p, a));
			fprintf(f, ",%u,%.1f", r + 1, run->ops_per_s);
			for (uint32_t a = 0; a < S.naxes; a++) {
				uint64_t acq = 0, con = 0;

				if (!S.axes[a].size || S.axes[a].cls[0] == '\0')
					continue;
				for (uint32_t k = 0; k < run->nlocks; k++)
					if (strcmp(run->locks[k].name,
					    S.axes[a].cls) == 0) {
						acq = run->locks[k].acquisitions;
						con = run->locks[k].contended;
					}
				fprintf(f, ",%" PRIu64 ",%" PRIu64, acq, con);
			}
			fputc('\n', f);
		}
	}
	if (fclose(f) != 0) {
		free(buf);
		return (-1);
	}
	rc = vt_output_write("--csv", S.csv, buf, len);
	free(buf);
	return (rc);
}

/* Runs the grid; VT_EXIT_* */
static int
run_grid(void)
{
	char dir[4096], nm[64];
	struct vt_child k;
	struct vt_child_result res;
	double timeout;
	bool tty = isatty(2);

	if (vt_child_tmpdir(dir, sizeof (dir)) != 0)
		return (VT_EXIT_INTERNAL);
	for (uint32_t r = 0; r < S.repeat; r++) {
		for (uint32_t i = 0; i < S.npoints; i++) {
			struct sweep_point *p = &S.points[i];

			if (parse_point(p) != 0) {
				vt_child_rmdir(dir);
				return (VT_EXIT_USAGE);
			}
			if (tty)
				fprintf(stderr, "\rsweep: repetition %u/%u, "
				    "point %u/%u ", r + 1, S.repeat, i + 1,
				    S.npoints);
			snprintf(nm, sizeof (nm), "p%u-r%u", i, r);
			memset(&k, 0, sizeof (k));
			if (vt_child_files(&k, dir, nm) != 0) {
				vt_child_rmdir(dir);
				return (VT_EXIT_INTERNAL);
			}
			timeout = cfg.duration * 3 + cfg.watchdog + 30;
			vt_child_run(&k, &cfg, timeout, &res);
			if (res.code != 0 || !res.have_json ||
			    read_report(k.json, &p->runs[r]) != 0) {
				char e[512];

				vt_child_first_error(&k, e, sizeof (e));
				fprintf(stderr, "\nvmtorture sweep: point %u "
				    "repetition %u: exit %d%s%s%s%s\n", i + 1,
				    r + 1, res.code, res.check[0] ? ", " : "",
				    res.check, e[0] ? ": " : "", e);
				if (res.replay[0])
					fprintf(stderr, "replay: %s\n",
					    res.replay);
				vt_child_cleanup(&k);
				vt_child_rmdir(dir);
				return (res.code == VT_EXIT_USAGE ?
				    VT_EXIT_USAGE : res.code > 0 &&
				    res.code < 4 ? res.code : VT_EXIT_INTERNAL);
			}
			vt_child_cleanup(&k);
		}
	}
	if (tty)
		fprintf(stderr, "\r%60s\r", "");
	vt_child_rmdir(dir);
	return (VT_EXIT_PASS);
}

int
vt_sweep_main(int argc, char **argv)
{
	int rc;

	switch (parse_args(argc, argv)) {
	case 0:
		break;
	case 1:
		return (VT_EXIT_PASS);
	default:
		return (VT_EXIT_USAGE);
	}
	if (build_points() != 0)
		return (VT_EXIT_USAGE);
	/* Every point's command line is checked before anything runs. */
	for (uint32_t i = 0; i < S.npoints; i++) {
		if (parse_point(&S.points[i]) != 0)
			return (VT_EXIT_USAGE);
		S.points[i].workers = vt_config_nworkers(&cfg);
	}
	if ((rc = run_grid()) != VT_EXIT_PASS)
		return (rc);
	find_classes();
	summarise();
	vt_sweep_report(&S, stdout);
	if (S.csv != NULL && write_csv() != 0)
		return (VT_EXIT_INTERNAL);
	if ((S.png != NULL || S.plot != NULL) && vt_sweep_plot(&S) != 0)
		return (VT_EXIT_INTERNAL);
	return (VT_EXIT_PASS);
}
