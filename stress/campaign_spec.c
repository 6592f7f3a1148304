/*
 * campaign_spec.c - the command line and INI file of `vmtorture campaign`
 * (see campaign_spec.h).
 *
 * Harness code (not ported).  A campaign file:
 *
 *   [campaign]
 *   scenarios  = map-unmap htable-steal     ; or "all" (the default)
 *   strategies = free random pct:3 pct:10   ; the default
 *   budget     = 10m                        ; or: seeds = 1-100
 *   jobs       = 4
 *   keep-going = false
 *   options    = --lock busted              ; for every cell
 *   [optset small]
 *   options    = --hment-hash-size 64 --mmu 2
 *
 * Options are words split at blanks (no quoting).  The command line
 * (--scenarios, --strategies, --optset NAME=OPTIONS, ...) overrides the
 * file; words it does not know are run options for every cell.
 */
#include "campaign_spec.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "child.h"
#include "run.h"

static void
cs_usage(FILE *f)
{
	fprintf(f, "usage: vmtorture campaign [-f FILE] [--scenarios A,B|all] "
	    "[--strategies free,random,pct:D,pos,...]\n"
	    "          [--optset NAME=OPTIONS]... [--budget T | --seeds A-B] "
	    "[--jobs N] [--keep-going]\n"
	    "          [--shard I/N | --shard auto[/N]] [--out FILE] "
	    "[--timeout S] [--recheck N]\n"
	    "          [--no-handoff] [--handoff-seeds N] [run options]\n"
	    "  Runs every cell (scenario x option set x strategy) over "
	    "successive seeds in\n"
	    "  child processes, --jobs at a time, each cell until its first "
	    "failure\n"
	    "  (--keep-going: on).  --budget (default 60s; 120, 2m, 10m) is "
	    "wall-clock:\n"
	    "  every cell gets an equal share, the next run goes to the "
	    "cell that has used\n"
	    "  the least child-time, a cell that stops gives its time to the "
	    "rest.  --seeds\n"
	    "  runs exactly seeds A..B of every cell instead.  --shard I/N "
	    "runs the I-th of\n"
	    "  N interleaved parts (auto: SLURM_ARRAY_TASK_ID/COUNT, "
	    "JOB_COMPLETION_INDEX or\n"
	    "  PARALLEL_SEQ with /N).  One JSON line per run goes to --out "
	    "(default\n"
	    "  vmtorture-campaign.jsonl); `vmtorture merge` folds shard "
	    "files.\n"
	    "  Exit: 0 no failure, 1 failures, 2 usage, 4 harness error.\n");
}

/* Split text (copied into o->text) into o->words; -1 if too many. */
static int
split_opts(struct cs_optset *o, const char *text)
{
	char *save = NULL;

	if (strlen(text) >= sizeof (o->text))
		return (-1);
	snprintf(o->text, sizeof (o->text), "%s", text);
	o->nw = 0;
	for (char *t = strtok_r(o->text, " \t", &save); t != NULL;
	    t = strtok_r(NULL, " \t", &save)) {
		if (o->nw >= CS_MAX_WORDS - 1)
			return (-1);
		o->words[o->nw++] = t;
	}
	o->words[o->nw] = NULL;
	return (0);
}

static int
add_optset(struct cs_spec *s, const char *name, const char *text)
{
	struct cs_optset *o = NULL;

	for (int i = 0; i < s->nopt; i++)
		if (strcmp(s->opt[i].name, name) == 0)
			o = &s->opt[i];
	if (o == NULL) {
		if (s->nopt >= CS_MAX_OPT) {
			fprintf(stderr, "vmtorture campaign: more than %d option "
			    "sets\n", CS_MAX_OPT);
			return (-1);
		}
		o = &s->opt[s->nopt++];
	}
	if (*name == '\0' || strlen(name) >= sizeof (o->name) ||
	    strpbrk(name, "/ \t") != NULL) {
		fprintf(stderr, "vmtorture campaign: option set name '%s': "
		    "1-31 characters, no '/' or blanks\n", name);
		return (-1);
	}
	snprintf(o->name, sizeof (o->name), "%s", name);
	if (split_opts(o, text) != 0) {
		fprintf(stderr, "vmtorture campaign: option set %s: too many "
		    "words\n", name);
		return (-1);
	}
	return (0);
}

/* A list of names separated by commas or blanks, into a fresh copy. */
static char *
next_name(char **p)
{
	char *s = *p, *e;

	while (*s == ',' || isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return (NULL);
	e = s + strcspn(s, ", \t");
	*p = *e != '\0' ? e + 1 : e;
	*e = '\0';
	return (s);
}

static int
set_scenarios(struct cs_spec *s, const char *list)
{
	static char buf[2048];
	const struct vt_scenario_ops *const *all = vt_engine_scenarios();
	char *p = buf, *n;

	snprintf(buf, sizeof (buf), "%s", list);
	s->nscen = 0;
	if (strcmp(list, "all") == 0) {
		for (int i = 0; all[i] != NULL && s->nscen < CS_MAX_SCEN; i++)
			if (!all[i]->test_only)
				s->scen[s->nscen++] = all[i]->name;
		return (0);
	}
	while ((n = next_name(&p)) != NULL) {
		const struct vt_scenario_ops *sc = vt_scenario_find(n);

		if (sc == NULL) {
			fprintf(stderr, "vmtorture campaign: --scenarios: %s: "
			    "unknown scenario (see `vmtorture list --names`)\n",
			    n);
			return (-1);
		}
		if (s->nscen >= CS_MAX_SCEN) {
			fprintf(stderr, "vmtorture campaign: --scenarios: more "
			    "than %d\n", CS_MAX_SCEN);
			return (-1);
		}
		s->scen[s->nscen++] = sc->name;
	}
	if (s->nscen == 0) {
		fprintf(stderr, "vmtorture campaign: --scenarios: empty list\n");
		return (-1);
	}
	return (0);
}

static int
set_strategies(struct cs_spec *s, const char *list)
{
	char buf[1024], *p = buf, *n;

	snprintf(buf, sizeof (buf), "%s", list);
	s->nstrat = 0;
	while ((n = next_name(&p)) != NULL) {
		struct cs_strategy *t = &s->strat[s->nstrat];
		uint64_t d = 0;

		if (s->nstrat >= CS_MAX_STRAT) {
			fprintf(stderr, "vmtorture campaign: --strategies: more "
			    "than %d\n", CS_MAX_STRAT);
			return (-1);
		}
		/*
		 * NAME[:DEPTH]: free, or any --sched strategy (the run's
		 * parser checks the name when the cells are validated, so a
		 * strategy added later needs nothing here).
		 */
		{
			size_t len = strcspn(n, ":");
			bool word = len > 0 && len < 16;

			for (size_t k = 0; k < len && word; k++)
				word = islower((unsigned char)n[k]) != 0;
			if (!word || (n[len] == ':' && (vt_parse_u64(n + len +
			    1, &d) != 0 || d < 1 || d > 1000)) ||
			    (n[len] == ':' && strncmp(n, "free", len) == 0)) {
				fprintf(stderr, "vmtorture campaign: --strategies: "
				    "%s: expected free or a --sched name with an "
				    "optional :DEPTH (1-1000), e.g. pct:3\n", n);
				return (-1);
			}
			snprintf(t->sched, sizeof (t->sched), "%.*s", (int)len,
			    n);
		}
		t->depth = d;
		snprintf(t->name, sizeof (t->name), "%s", n);
		s->nstrat++;
	}
	if (s->nstrat == 0) {
		fprintf(stderr, "vmtorture campaign: --strategies: empty list\n");
		return (-1);
	}
	return (0);
}

/* "I/N", "auto" or "auto/N". */
static int
set_shard(struct cs_spec *s, const char *v)
{
	const char *slash = strchr(v, '/');
	char idx[32];
	uint64_t i = 0, n = 0;

	if (slash == NULL && strcmp(v, "auto") != 0)
		goto bad;
	if (slash != NULL && (vt_parse_u64(slash + 1, &n) != 0 || n < 1))
		goto bad;
	snprintf(idx, sizeof (idx), "%.*s", slash ? (int)(slash - v) :
	    (int)strlen(v), v);
	if (strcmp(idx, "auto") == 0) {
		const char *id = getenv("SLURM_ARRAY_TASK_ID");
		const char *cnt = getenv("SLURM_ARRAY_TASK_COUNT");
		const char *min = getenv("SLURM_ARRAY_TASK_MIN");
		const char *jci = getenv("JOB_COMPLETION_INDEX");
		const char *seq = getenv("PARALLEL_SEQ");
		uint64_t m = 0;

		if (id != NULL && cnt != NULL) {
			if (vt_parse_u64(id, &i) != 0 ||
			    vt_parse_u64(cnt, &n) != 0 || (min != NULL &&
			    vt_parse_u64(min, &m) != 0) || i < m) {
				fprintf(stderr, "vmtorture campaign: --shard auto: "
				    "bad SLURM_ARRAY_TASK_ID/COUNT/MIN\n");
				return (-1);
			}
			i -= m;		/* arrays may start at 1 */
		} else if (jci != NULL || seq != NULL) {
			if (n == 0) {
				fprintf(stderr, "vmtorture campaign: --shard auto: "
				    "%s gives no total: use --shard auto/N\n",
				    jci != NULL ? "JOB_COMPLETION_INDEX" :
				    "PARALLEL_SEQ");
				return (-1);
			}
			if (vt_parse_u64(jci != NULL ? jci : seq, &i) != 0 ||
			    (jci == NULL && i < 1)) {
				fprintf(stderr, "vmtorture campaign: --shard auto: "
				    "bad %s\n", jci != NULL ?
				    "JOB_COMPLETION_INDEX" : "PARALLEL_SEQ");
				return (-1);
			}
			if (jci == NULL)
				i--;	/* PARALLEL_SEQ counts from 1 */
		} else {
			fprintf(stderr, "vmtorture campaign: --shard auto: none "
			    "of SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, "
			    "PARALLEL_SEQ is set\n");
			return (-1);
		}
	} else if (vt_parse_u64(idx, &i) != 0) {
		goto bad;
	}
	if (n < 1 || i >= n) {
		fprintf(stderr, "vmtorture campaign: --shard: index %" PRIu64
		    " not below the shard count %" PRIu64 "\n", i, n);
		return (-1);
	}
	s->shard = i;
	s->nshards = n;
	snprintf(s->shard_text, sizeof (s->shard_text), "%" PRIu64 "/%"
	    PRIu64, i, n);
	return (0);
bad:
	fprintf(stderr, "vmtorture campaign: --shard %s: expected I/N, auto "
	    "or auto/N\n", v);
	return (-1);
}

static int
set_budget(struct cs_spec *s, const char *v)
{
	if (v == NULL || vt_parse_duration(v, &s->budget) != 0 ||
	    s->budget < 1 || s->budget > 86400 * 7) {
		fprintf(stderr, "vmtorture campaign: --budget %s: not a duration "
		    "from 1s to 7d (120, 2m, 10m)\n", v ? v : "");
		return (-1);
	}
	return (0);
}

static int
set_seeds(struct cs_spec *s, const char *v)
{
	if (v == NULL || vt_child_parse_range(v, &s->lo, &s->hi) != 0 ||
	    s->lo == 0) {
		fprintf(stderr, "vmtorture campaign: --seeds %s: expected A-B "
		    "with 1 <= A <= B\n", v ? v : "");
		return (-1);
	}
	s->have_seeds = true;
	return (0);
}

static int
set_u64(const char *what, const char *v, uint64_t lo, uint64_t hi,
    uint64_t *out)
{
	if (v == NULL || vt_parse_u64(v, out) != 0 || *out < lo || *out > hi) {
		fprintf(stderr, "vmtorture campaign: %s %s: not a number from %"
		    PRIu64 " to %" PRIu64 "\n", what, v ? v : "", lo, hi);
		return (-1);
	}
	return (0);
}

static int
set_bool(const char *what, const char *v, bool *out)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 ||
	    strcmp(v, "1") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 ||
	    strcmp(v, "0") == 0)
		*out = false;
	else {
		fprintf(stderr, "vmtorture campaign: %s = %s: expected true or "
		    "false\n", what, v);
		return (-1);
	}
	return (0);
}

struct ini_ctx {
	struct cs_spec	*s;
	const char	*file;
	FILE		*f;
	int		line;		/* of the line inih is handling */
	int		bad;		/* a message was printed */
};

/* inih's line reader, counting lines for the messages. */
static char *
reader(char *str, int num, void *stream)
{
	struct ini_ctx *x = stream;

	if (fgets(str, num, x->f) == NULL)
		return (NULL);
	x->line++;
	return (str);
}

static int
on_ini(void *user, const char *section, const char *key, const char *val)
{
	struct ini_ctx *x = user;
	int line = x->line;
	struct cs_spec *s = x->s;
	static char keep[8][1024];
	static int nkeep;
	int rc = 0;

	if (x->bad)
		return (0);
	if (strncmp(section, "optset ", 7) == 0 && strcmp(key, "options") == 0) {
		rc = add_optset(s, section + 7, val);
	} else if (strcmp(section, "campaign") != 0) {
		fprintf(stderr, "vmtorture campaign: %s:%d: [%s] %s: expected "
		    "[campaign] or [optset NAME] with options =\n", x->file,
		    line, section, key);
		rc = -1;
	} else if (strcmp(key, "scenarios") == 0) {
		rc = set_scenarios(s, val);
	} else if (strcmp(key, "strategies") == 0) {
		rc = set_strategies(s, val);
	} else if (strcmp(key, "budget") == 0) {
		rc = set_budget(s, val);
	} else if (strcmp(key, "seeds") == 0) {
		rc = set_seeds(s, val);
	} else if (strcmp(key, "jobs") == 0) {
		rc = set_u64("jobs", val, 1, CS_MAX_JOBS, &s->jobs);
	} else if (strcmp(key, "keep-going") == 0) {
		rc = set_bool("keep-going", val, &s->keep_going);
	} else if (strcmp(key, "options") == 0) {
		rc = split_opts(&s->common, val);
	} else if (strcmp(key, "out") == 0 && nkeep < 8) {
		snprintf(keep[nkeep], sizeof (keep[0]), "%s", val);
		s->out = keep[nkeep++];
	} else {
		fprintf(stderr, "vmtorture campaign: %s:%d: unknown key '%s' "
		    "(scenarios, strategies, budget, seeds, jobs, keep-going, "
		    "options, out)\n", x->file, line, key);
		rc = -1;
	}
	if (rc != 0)
		x->bad = 1;
	return (1);
}

static int
load_file(struct cs_spec *s, const char *path)
{
	struct ini_ctx x = { s, path, fopen(path, "r"), 0, 0 };
	int rc;

	if (x.f == NULL) {
		fprintf(stderr, "vmtorture campaign: -f %s: cannot open\n", path);
		return (-1);
	}
	rc = ini_parse_stream(reader, &x, on_ini, &x);
	fclose(x.f);
	if (rc > 0 && !x.bad)
		fprintf(stderr, "vmtorture campaign: %s:%d: not INI (expected "
		    "[section] or key = value)\n", path, rc);
	return (rc != 0 || x.bad ? -1 : 0);
}

int
cs_parse(struct cs_spec *s, int argc, char **argv)
{
	static char common[4096];
	size_t nc = 0;
	const char *v;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	memset(s, 0, sizeof (*s));
	s->jobs = ncpu > 0 ? (uint64_t)(ncpu < CS_MAX_JOBS ? ncpu :
	    CS_MAX_JOBS) : 1;
	s->nshards = 1;
	snprintf(s->shard_text, sizeof (s->shard_text), "0/1");
	s->handoff = true;
	s->handoff_seeds = 200;
	s->recheck = 10;
	(void) set_scenarios(s, "all");
	(void) set_strategies(s, "free random pct:3 pct:10 pos");
	/* The file first: the command line overrides it. */
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "-f") == 0 ||
		    vt_child_is_opt(argv[i], "file")) {
			if (!vt_child_take_opt(argc, argv, &i, "file", &v))
				v = i + 1 < argc ? argv[++i] : NULL;
			if (v == NULL || load_file(s, v) != 0) {
				if (v == NULL)
					fprintf(stderr, "vmtorture campaign: -f: "
					    "missing file\n");
				return (-1);
			}
		}
	common[0] = '\0';
	for (int i = 0; i < s->common.nw; i++)
		nc += (size_t)snprintf(common + nc, sizeof (common) - nc,
		    "%s ", s->common.words[i]);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		int rc = 0;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			cs_usage(stdout);
			return (1);
		} else if (strcmp(a, "-f") == 0) {
			i++;
		} else if (vt_child_take_opt(argc, argv, &i, "file", &v)) {
			continue;
		} else if (vt_child_take_opt(argc, argv, &i, "scenarios", &v)) {
			rc = v != NULL ? set_scenarios(s, v) : -1;
		} else if (vt_child_take_opt(argc, argv, &i, "strategies", &v)) {
			rc = v != NULL ? set_strategies(s, v) : -1;
		} else if (vt_child_take_opt(argc, argv, &i, "optset", &v)) {
			char name[64];
			const char *eq = v != NULL ? strchr(v, '=') : NULL;

			if (eq == NULL) {
				fprintf(stderr, "vmtorture campaign: --optset: "
				    "expected NAME=OPTIONS\n");
				return (-1);
			}
			snprintf(name, sizeof (name), "%.*s", (int)(eq - v), v);
			rc = add_optset(s, name, eq + 1);
		} else if (vt_child_take_opt(argc, argv, &i, "budget", &v)) {
			rc = set_budget(s, v);
		} else if (vt_child_take_opt(argc, argv, &i, "seeds", &v)) {
			rc = set_seeds(s, v);
		} else if (vt_child_take_opt(argc, argv, &i, "jobs", &v)) {
			rc = set_u64("--jobs", v, 1, CS_MAX_JOBS, &s->jobs);
		} else if (strcmp(a, "--keep-going") == 0) {
			s->keep_going = true;
		} else if (vt_child_take_opt(argc, argv, &i, "shard", &v)) {
			rc = v != NULL ? set_shard(s, v) : -1;
		} else if (vt_child_take_opt(argc, argv, &i, "out", &v)) {
			if (v == NULL || *v == '\0') {
				fprintf(stderr, "vmtorture campaign: --out: "
				    "missing file\n");
				return (-1);
			}
			s->out = v;
		} else if (vt_child_take_opt(argc, argv, &i, "timeout", &v)) {
			if (v == NULL || vt_parse_duration(v, &s->timeout) != 0 ||
			    s->timeout <= 0) {
				fprintf(stderr, "vmtorture campaign: --timeout: "
				    "expected seconds\n");
				return (-1);
			}
		} else if (vt_child_take_opt(argc, argv, &i, "recheck", &v)) {
			rc = set_u64("--recheck", v, 0, UINT32_MAX, &s->recheck);
		} else if (strcmp(a, "--no-handoff") == 0) {
			s->handoff = false;
		} else if (vt_child_take_opt(argc, argv, &i, "handoff-seeds",
		    &v)) {
			rc = set_u64("--handoff-seeds", v, 1, 100000,
			    &s->handoff_seeds);
		} else if (vt_child_is_opt(a, "seed") ||
		    vt_child_is_opt(a, "sched") ||
		    vt_child_is_opt(a, "sched-seed") ||
		    vt_child_is_opt(a, "depth")) {
			fprintf(stderr, "vmtorture campaign: %s: the campaign "
			    "sets it (use --seeds and --strategies)\n", a);
			return (-1);
		} else if (vt_child_is_opt(a, "trace") ||
		    vt_child_is_opt(a, "json") || vt_child_is_opt(a, "tap") ||
		    vt_child_is_opt(a, "schedule") ||
		    vt_child_is_opt(a, "stop-at-step")) {
			fprintf(stderr, "vmtorture campaign: %s is per run: use "
			    "it with a replay line instead\n", a);
			return (-1);
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			continue;
		} else if (a[0] != '-' && (i == 0 || argv[i - 1][0] != '-')) {
			fprintf(stderr, "vmtorture campaign: %s: unexpected word "
			    "(scenarios go in --scenarios)\n", a);
			return (-1);
		} else {
			nc += (size_t)snprintf(common + nc, sizeof (common) -
			    (nc < sizeof (common) ? nc : sizeof (common)),
			    "%s ", a);
		}
		if (rc != 0)
			return (-1);
	}
	if (nc >= sizeof (common) || split_opts(&s->common, common) != 0) {
		fprintf(stderr, "vmtorture campaign: too many run options\n");
		return (-1);
	}
	if (s->have_seeds && s->budget > 0) {
		fprintf(stderr, "vmtorture campaign: give --budget or --seeds, "
		    "not both\n");
		return (-1);
	}
	if (!s->have_seeds && s->budget == 0)
		s->budget = 60;
	if (s->nopt == 0)
		(void) add_optset(s, "default", "");
	if (s->out == NULL)
		s->out = "vmtorture-campaign.jsonl";
	return (0);
}

int
cs_ncells(const struct cs_spec *s)
{
	return (s->nscen * s->nopt * s->nstrat);
}

void
cs_cell(const struct cs_spec *s, int c, int *scen, int *opt, int *strat)
{
	*strat = c % s->nstrat;
	*opt = (c / s->nstrat) % s->nopt;
	*scen = c / (s->nstrat * s->nopt);
}

void
cs_cell_name(const struct cs_spec *s, int c, char *buf, size_t len)
{
	int sc, o, st;

	cs_cell(s, c, &sc, &o, &st);
	snprintf(buf, len, "%s/%s/%s", s->scen[sc], s->opt[o].name,
	    s->strat[st].name);
}

bool
cs_has_opt(const struct cs_spec *s, int opt, const char *name)
{
	for (int i = 0; i < s->common.nw; i++)
		if (vt_child_is_opt(s->common.words[i], name))
			return (true);
	for (int i = 0; i < s->opt[opt].nw; i++)
		if (vt_child_is_opt(s->opt[opt].words[i], name))
			return (true);
	return (false);
}
