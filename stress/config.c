/*
 * config.c - the run configuration: built-in defaults, the option table
 * (one entry per field of struct vt_config), command-line and INI parsing,
 * validation, the per-role worker split, and the command lines printed in
 * summaries and replay lines.
 *
 * Harness code (not ported).  Every usage error is one line on stderr and
 * exit code 2 (the caller turns -1 into that); nothing here may crash on bad
 * input.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>
#include <json-c/json.h>

#include "run.h"
#include "../core/hment.h"
#include "../core/mmu.h"
#include "../locks/lockops.h"

/* Marker for "derive throttlefree from pages" (DESIGN: pages/64). */
#define THROTTLE_DERIVE	UINT64_MAX

void
vt_config_defaults(struct vt_config *c)
{
	memset(c, 0, sizeof (*c));
	c->scenario = NULL;
	c->seed = 1;
	c->threads = 4;
	for (int r = 0; r < VT_MAX_ROLES; r++)
		c->role_override[r] = -1;
	c->mmu_walkers = 0;
	c->duration = 5.0;
	c->ops = 0;
	c->sched = VT_SCHED_FREE;
	c->sched_seed = 0;		/* 0: same as --seed */
	c->depth = 3;
	c->steps = 0;
	c->switch_prob = 0.05;
	c->max_steps = 0;		/* 0: derived from --ops */
	c->stop_at_step = 0;
	c->trace = NULL;
	c->trace_tail = 200;
	c->trace_all = false;
	c->schedule = NULL;
	c->lock = "pthread";
	c->mlist_locks = 2048;		/* MLIST_NUM_LOCK, 2007 */
	c->hash_locks = 2048;		/* HASH_NUM_LOCK, 2007 */
	c->htable_locks = 128;		/* NUM_HTABLE_MUTEX */
	c->hment_hash_size = 65536;	/* HMENT_HASH_SIZE */
	c->hment_rev = HMENT_REV_2007_AVL;
	c->pages = 65536;
	c->throttlefree = THROTTLE_DERIVE;
	c->kmem_fail = 0.0;
	c->kmem_budget = 0;
	c->hment_reserve_amount = 200;	/* HMENT_RESERVE_AMOUNT */
	c->htable_reserve_amount = 200;	/* HTABLE_RESERVE_AMOUNT */
	c->htable_steal_passes = 8;
	c->force_steal = 0;
	c->hats = 4;
	c->shared_pages = 64;
	c->va_slots = 256;
	c->audit_interval = 1.0;
	c->audit_ops = 250;
	c->watchdog = 30.0;
	c->json = NULL;
	c->inject = NULL;
	c->tap = false;
	c->quiet = false;
}

/* ---- the option table ---- */

enum kind {
	K_U32,		/* uint32_t in [min, max] */
	K_U64,		/* uint64_t in [min, max] */
	K_POW2,		/* uint32_t, power of two in [min, max] */
	K_DBL,		/* double in [min, max] */
	K_PROB,		/* double probability 0..1 */
	K_STR,		/* const char * (file name) */
	K_BOOL,		/* flag without argument */
	K_LOCK,		/* lock back end name */
	K_SCHED,	/* enum vt_sched_mode */
	K_HREV,		/* hment revision: avl | chain */
	K_INJECT,	/* --inject BUG */
	K_THROTTLE,	/* uint64_t, default derived from pages */
};

/* Output-only options: neither in the "in force" line nor in replays. */
#define F_OUTPUT	0x1
/* Controlled-mode options: not printed for free-running runs. */
#define F_CTRL		0x2

struct optdesc {
	const char	*name;
	int		shortc;		/* 0 or a short option letter */
	enum kind	kind;
	size_t		off;
	double		min, max;
	const char	*arg;
	const char	*help;
	int		flags;
};

#define OFF(f)	offsetof(struct vt_config, f)

static const struct optdesc opts[] = {
	{ "seed", 0, K_U64, OFF(seed), 0, 18446744073709551615.0, "N",
	    "seed of every worker's operations and injected faults", 0 },
	{ "threads", 0, K_U32, OFF(threads), 1, VT_MAX_WORKERS, "N",
	    "workers, split over the scenario's roles by weight", 0 },
	{ "mmu", 0, K_U32, OFF(mmu_walkers), 0, VT_MMU_MAXCPUS, "N",
	    "simulated MMU page-table walkers (extra workers)", 0 },
	{ "duration", 0, K_DBL, OFF(duration), 0.001, 1e7, "S",
	    "run for S seconds (exclusive with --ops)", 0 },
	{ "ops", 0, K_U64, OFF(ops), 1, 1e18, "N",
	    "run N operations per worker (exclusive with --duration)", 0 },
	{ "sched", 0, K_SCHED, OFF(sched), 0, 0, "MODE",
	    "free (real threads), random or pct (controlled: fibers, exact "
	    "replay)", 0 },
	{ "sched-seed", 0, K_U64, OFF(sched_seed), 0, 18446744073709551615.0,
	    "N", "seed of the controlled scheduler's decisions (0: --seed)",
	    F_CTRL },
	{ "depth", 0, K_U32, OFF(depth), 1, 64, "D",
	    "pct: bug depth d (d-1 priority change points)", F_CTRL },
	{ "steps", 0, K_U64, OFF(steps), 0, 1e15, "K",
	    "pct: estimated schedule points k (0: learn from a first run)", F_CTRL },
	{ "switch-prob", 0, K_PROB, OFF(switch_prob), 0, 1, "P",
	    "random: probability of a switch at each schedule point", F_CTRL },
	{ "max-steps", 0, K_U64, OFF(max_steps), 0, 1e15, "N",
	    "controlled: step budget, beyond it the run is a hang (0: auto)",
	    F_CTRL },
	{ "stop-at-step", 0, K_U64, OFF(stop_at_step), 0, 1e15, "N",
	    "controlled: stop at schedule point N (inspect a replay)", F_CTRL },
	{ "schedule", 0, K_STR, OFF(schedule), 0, 0, "FILE",
	    "controlled: follow the switches of a trace/schedule file", F_CTRL },
	{ "trace", 0, K_STR, OFF(trace), 0, 0, "FILE",
	    "controlled: write the schedule (its switches) to FILE", F_OUTPUT },
	{ "trace-tail", 0, K_U32, OFF(trace_tail), 0, 1 << 24, "N",
	    "controlled: the trace ends with the last N schedule points",
	    F_OUTPUT | F_CTRL },
	{ "trace-all", 0, K_BOOL, OFF(trace_all), 0, 0, NULL,
	    "controlled: the trace lists every schedule point", F_OUTPUT | F_CTRL },
	{ "lock", 0, K_LOCK, OFF(lock), 0, 0, "NAME",
	    "lock back end (see `vmtorture list`)", 0 },
	{ "mlist-locks", 0, K_POW2, OFF(mlist_locks), 1, 1 << 20, "N",
	    "mlist_lock table size (MLIST_NUM_LOCK), power of two", 0 },
	{ "hash-locks", 0, K_POW2, OFF(hash_locks), 1, 1 << 20, "N",
	    "hash_lock table size (HASH_NUM_LOCK), power of two", 0 },
	{ "htable-locks", 0, K_POW2, OFF(htable_locks), 1, 1 << 20, "N",
	    "htable_mutex table size (NUM_HTABLE_MUTEX), power of two", 0 },
	{ "hment-hash", 0, K_HREV, OFF(hment_rev), 0, 0, "avl|chain",
	    "hment.c revision: avl (2007) or chain (2006)", 0 },
	{ "hment-hash-size", 0, K_POW2, OFF(hment_hash_size), 1, 1 << 24, "N",
	    "hment hash buckets (HMENT_HASH_SIZE), power of two", 0 },
	{ "pages", 0, K_U64, OFF(pages), 64, 1 << 22, "N",
	    "physical frames of the simulated machine", 0 },
	{ "throttlefree", 0, K_THROTTLE, OFF(throttlefree), 0, 1 << 22, "N",
	    "ptable_alloc fails at or below N free frames (default pages/64)",
	    0 },
	{ "kmem-fail", 0, K_PROB, OFF(kmem_fail), 0, 1, "P",
	    "probability that a KM_NOSLEEP hment/htable allocation fails", 0 },
	{ "kmem-budget", 0, K_U64, OFF(kmem_budget), 0, 1e18, "N",
	    "fail KM_NOSLEEP hment allocations beyond N outstanding (0: none)",
	    0 },
	{ "hment-reserve-amount", 0, K_U32, OFF(hment_reserve_amount), 0,
	    1 << 20, "N", "hment_reserve_amount", 0 },
	{ "htable-reserve-amount", 0, K_U32, OFF(htable_reserve_amount), 0,
	    1 << 20, "N", "htable_reserve_amount (0 forces stealing)", 0 },
	{ "htable-steal-passes", 0, K_U32, OFF(htable_steal_passes), 0, 1000,
	    "N", "htable_steal_passes", 0 },
	{ "force-steal", 0, K_U64, OFF(force_steal), 0, 1e18, "N",
	    "force_steal", 0 },
	{ "hats", 0, K_U32, OFF(hats), 1, 4096, "N",
	    "address spaces (hats) the scenario creates", 0 },
	{ "shared-pages", 0, K_U32, OFF(shared_pages), 0, 1 << 20, "N",
	    "\"library\" data pages shared by the hats", 0 },
	{ "va-slots", 0, K_U32, OFF(va_slots), 1, 1 << 20, "N",
	    "pages of VA per worker per hat", 0 },
	{ "audit-interval", 0, K_DBL, OFF(audit_interval), 0, 1e7, "S",
	    "stop the world and audit every S seconds (0: only at the end)",
	    0 },
	{ "audit-ops", 0, K_U64, OFF(audit_ops), 0, 1e18, "N",
	    "controlled: stop the world and audit every N operations in all "
	    "(0: only at the end)", F_CTRL },
	{ "watchdog", 0, K_DBL, OFF(watchdog), 0.01, 1e7, "S",
	    "fail as a hang when a worker makes no progress for S seconds", 0 },
	{ "inject", 0, K_INJECT, OFF(inject), 0, 0, "BUG",
	    "inject a known bug (selftest catalogue)", 0 },
	{ "json", 0, K_STR, OFF(json), 0, 0, "FILE",
	    "write the report as JSON to FILE", F_OUTPUT },
	{ "tap", 0, K_BOOL, OFF(tap), 0, 0, NULL,
	    "also print TAP (for meson's tap protocol)", F_OUTPUT },
	{ "quiet", 'q', K_BOOL, OFF(quiet), 0, 0, NULL,
	    "no per-role lines in the summary", F_OUTPUT },
};
#define NOPTS	(sizeof (opts) / sizeof (opts[0]))

/* getopt_long values: options by index, roles by index. */
#define VAL_OPT		1000
#define VAL_ROLE	2000
#define VAL_FILE	'f'

/* What the parse saw (one parse per process). */
static struct {
	const struct vt_scenario_ops *sc;
	bool		duration_given, ops_given;
} ps;

static void
usage_err(const char *fmt, ...)
{
	va_list ap;
	char buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof (buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vmtorture: %s\n", buf);
}

int
vt_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+' ||
	    *s == ' ' || *s == '\t')
		return (-1);
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0')
		return (-1);
	*out = (uint64_t)v;
	return (0);
}

int
vt_parse_double(const char *s, double *out)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0' || *s == ' ' || *s == '\t')
		return (-1);
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v))
		return (-1);
	*out = v;
	return (0);
}

static const char *
sched_name(enum vt_sched_mode m)
{
	switch (m) {
	case VT_SCHED_FREE:	return ("free");
	case VT_SCHED_RANDOM:	return ("random");
	case VT_SCHED_PCT:	return ("pct");
	}
	return ("?");
}

static const char *
hrev_name(int rev)
{
	return (rev == HMENT_REV_2006_CHAIN ? "chain" : "avl");
}

static void
lock_names(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; vt_lock_backends[i] != NULL && n + 1 < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "",
		    vt_lock_backends[i]->name);
}

/* Apply one option's value (from the command line or an INI file). */
static int
apply(struct vt_config *c, const struct optdesc *o, const char *val)
{
	void *p = (char *)c + o->off;
	uint64_t u;
	double d;

	switch (o->kind) {
	case K_U32:
	case K_U64:
	case K_POW2:
	case K_THROTTLE:
		if (vt_parse_u64(val, &u) != 0) {
			usage_err("--%s %s: not a number", o->name, val);
			return (-1);
		}
		if ((double)u < o->min || (double)u > o->max) {
			usage_err("--%s %s: out of range (%.0f..%.0f)", o->name,
			    val, o->min, o->max);
			return (-1);
		}
		if (o->kind == K_POW2 && (u & (u - 1)) != 0) {
			usage_err("--%s %s: not a power of two", o->name, val);
			return (-1);
		}
		if (o->kind == K_U64 || o->kind == K_THROTTLE)
			*(uint64_t *)p = u;
		else
			*(uint32_t *)p = (uint32_t)u;
		break;
	case K_DBL:
	case K_PROB:
		if (vt_parse_double(val, &d) != 0) {
			usage_err("--%s %s: not a number", o->name, val);
			return (-1);
		}
		if (d < o->min || d > o->max) {
			usage_err("--%s %s: out of range (%g..%g)", o->name, val,
			    o->min, o->max);
			return (-1);
		}
		*(double *)p = d;
		break;
	case K_STR:
		if (val == NULL || *val == '\0') {
			usage_err("--%s: empty argument", o->name);
			return (-1);
		}
		*(const char **)p = val;
		break;
	case K_BOOL:
		if (val == NULL || strcmp(val, "1") == 0 ||
		    strcmp(val, "true") == 0 || strcmp(val, "yes") == 0) {
			*(bool *)p = true;
		} else if (strcmp(val, "0") == 0 || strcmp(val, "false") == 0 ||
		    strcmp(val, "no") == 0) {
			*(bool *)p = false;
		} else {
			usage_err("--%s %s: expected true or false", o->name,
			    val);
			return (-1);
		}
		break;
	case K_LOCK: {
		const struct vt_lock_ops *lo = vt_lock_find(val);

		if (lo == NULL) {
			char names[256];

			lock_names(names, sizeof (names));
			usage_err("--lock %s: unknown lock back end (%s)", val,
			    names);
			return (-1);
		}
		*(const char **)p = lo->name;
		break;
	}
	case K_SCHED:
		if (strcmp(val, "free") == 0) {
			*(enum vt_sched_mode *)p = VT_SCHED_FREE;
		} else if (strcmp(val, "random") == 0) {
			*(enum vt_sched_mode *)p = VT_SCHED_RANDOM;
		} else if (strcmp(val, "pct") == 0) {
			*(enum vt_sched_mode *)p = VT_SCHED_PCT;
		} else {
			usage_err("--sched %s: unknown mode (free, random, pct)",
			    val);
			return (-1);
		}
		break;
	case K_HREV:
		if (strcmp(val, "avl") == 0 || strcmp(val, "2007") == 0) {
			*(int *)p = HMENT_REV_2007_AVL;
		} else if (strcmp(val, "chain") == 0 ||
		    strcmp(val, "2006") == 0) {
			*(int *)p = HMENT_REV_2006_CHAIN;
		} else {
			usage_err("--hment-hash %s: expected avl or chain", val);
			return (-1);
		}
		break;
	case K_INJECT:
		/* The bug catalogue (selftest) is a later issue. */
		usage_err("--inject %s: unknown bug (no injectable bugs in "
		    "this build)", val);
		return (-1);
	}
	if (o->off == OFF(duration))
		ps.duration_given = true;
	if (o->off == OFF(ops))
		ps.ops_given = true;
	return (0);
}

static int
apply_role(struct vt_config *c, uint32_t r, const char *val)
{
	const struct vt_role *role = &ps.sc->roles[r];
	uint64_t u;

	if (vt_parse_u64(val, &u) != 0) {
		usage_err("--%s %s: not a number", role->name, val);
		return (-1);
	}
	if (u > VT_MAX_WORKERS) {
		usage_err("--%s %s: more than %d workers", role->name, val,
		    VT_MAX_WORKERS);
		return (-1);
	}
	c->role_override[r] = (int32_t)u;
	return (0);
}

static const struct optdesc *
find_opt(const char *name)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (strcmp(opts[i].name, name) == 0)
			return (&opts[i]);
	return (NULL);
}

static int
find_role(const struct vt_scenario_ops *sc, const char *name)
{
	for (uint32_t r = 0; r < sc->nroles && r < VT_MAX_ROLES; r++)
		if (strcmp(sc->roles[r].name, name) == 0)
			return ((int)r);
	return (-1);
}

/* ---- INI scenario files (fio style: [global] + one section per role) ---- */

struct ini_ctx {
	struct vt_config *c;
	const char	*path;
	bool		failed;
};

static int
ini_cb(void *user, const char *section, const char *name,
    const char *value)
{
	struct ini_ctx *x = user;
	char key[64];
	char *val;
	int r;

	if (x->failed)
		return (0);
	/* Values must outlive the parse: kept (not freed) for the run. */
	val = strdup(value != NULL ? value : "");
	if (val == NULL)
		return (0);
	snprintf(key, sizeof (key), "%s", name);
	for (char *k = key; *k != '\0'; k++)
		if (*k == '_')
			*k = '-';

	if (section[0] == '\0' || strcmp(section, "global") == 0) {
		const struct optdesc *o = find_opt(key);

		if (o == NULL && (r = find_role(ps.sc, key)) >= 0) {
			if (apply_role(x->c, (uint32_t)r, val) != 0)
				goto bad;
			return (1);
		}
		if (o == NULL) {
			usage_err("%s: [%s] %s: unknown option", x->path,
			    section[0] ? section : "global", name);
			goto bad;
		}
		if (apply(x->c, o, o->kind == K_BOOL && *val == '\0' ? NULL :
		    val) != 0)
			goto bad;
		return (1);
	}
	if (strcmp(key, "count") != 0 && strcmp(key, "threads") != 0 &&
	    strcmp(key, "workers") != 0) {
		usage_err("%s: [%s] %s: unknown key (count)", x->path, section,
		    name);
		goto bad;
	}
	if (strcmp(section, "mmu") == 0)
		return (apply(x->c, find_opt("mmu"), val) == 0 ? 1 : 0);
	if ((r = find_role(ps.sc, section)) < 0) {
		usage_err("%s: [%s]: no such role in scenario %s", x->path,
		    section, ps.sc->name);
		goto bad;
	}
	if (apply_role(x->c, (uint32_t)r, val) != 0)
		goto bad;
	return (1);
bad:
	x->failed = true;
	free(val);
	return (0);
}

static int
load_ini(struct vt_config *c, const char *path)
{
	struct ini_ctx x = { .c = c, .path = path };
	int rc;

	rc = ini_parse(path, ini_cb, &x);
	if (rc < 0) {
		usage_err("-f %s: cannot read the file", path);
		return (-1);
	}
	if (x.failed)
		return (-1);
	if (rc > 0) {
		usage_err("-f %s: line %d: syntax error", path, rc);
		return (-1);
	}
	return (0);
}

/* ---- resolution and validation ---- */

/*
 * Split c->threads over the roles without an override, in proportion to
 * their weights (largest remainder, ties to the earlier role), then raise
 * each to its min_count.  Roles with --ROLE N get exactly N.
 */
static void
split_roles(struct vt_config *c, const struct vt_scenario_ops *sc)
{
	uint32_t nroles = sc->nroles < VT_MAX_ROLES ? sc->nroles :
	    VT_MAX_ROLES;
	uint64_t fixed = 0, wsum = 0, remaining, given = 0;
	uint64_t rem[VT_MAX_ROLES];

	for (uint32_t r = 0; r < VT_MAX_ROLES; r++)
		c->role_count[r] = 0;
	for (uint32_t r = 0; r < nroles; r++) {
		if (c->role_override[r] >= 0) {
			c->role_count[r] = (uint32_t)c->role_override[r];
			fixed += (uint64_t)c->role_override[r];
		} else {
			wsum += sc->roles[r].weight;
		}
	}
	remaining = c->threads > fixed ? c->threads - fixed : 0;
	for (uint32_t r = 0; r < nroles; r++) {
		rem[r] = 0;
		if (c->role_override[r] >= 0 || wsum == 0)
			continue;
		c->role_count[r] = (uint32_t)(remaining * sc->roles[r].weight /
		    wsum);
		rem[r] = remaining * sc->roles[r].weight % wsum;
		given += c->role_count[r];
	}
	while (wsum != 0 && given < remaining) {
		int best = -1;

		for (uint32_t r = 0; r < nroles; r++) {
			if (c->role_override[r] >= 0 || sc->roles[r].weight == 0)
				continue;
			if (best < 0 || rem[r] > rem[best])
				best = (int)r;
		}
		if (best < 0)
			break;
		c->role_count[best]++;
		rem[best] = 0;
		given++;
	}
	for (uint32_t r = 0; r < nroles; r++)
		if (c->role_override[r] < 0 &&
		    c->role_count[r] < sc->roles[r].min_count)
			c->role_count[r] = sc->roles[r].min_count;
}

uint32_t
vt_config_nworkers(const struct vt_config *c)
{
	uint64_t n = c->mmu_walkers;

	for (int r = 0; r < VT_MAX_ROLES; r++)
		n += c->role_count[r];
	return (n > UINT32_MAX ? UINT32_MAX : (uint32_t)n);
}

/*
 * Exactly one of duration/ops is in force: the one given on the command
 * line; with neither, the scenario's choice, duration winning if it set both.
 */
static void
bound_mode(struct vt_config *c, bool duration_given, bool ops_given)
{
	if (ops_given)
		c->duration = 0;
	else if (duration_given)
		c->ops = 0;
	else if (c->duration > 0 && c->ops > 0)
		c->ops = 0;
	if (c->duration <= 0 && c->ops == 0)
		c->duration = 5.0;
}

static int
validate(struct vt_config *c, const struct vt_scenario_ops *sc)
{
	const struct vt_lock_ops *lo;
	uint32_t n;

	if (ps.duration_given && ps.ops_given) {
		usage_err("--duration and --ops are exclusive (give one)");
		return (-1);
	}
	if (c->sched != VT_SCHED_FREE) {
		/* Controlled mode: no wall clock, runs are bounded by ops. */
		if (ps.duration_given) {
			usage_err("--duration: controlled mode (--sched %s) runs "
			    "by --ops, not by time", sched_name(c->sched));
			return (-1);
		}
		if (!ps.ops_given)
			c->ops = 200;
		c->duration = 0;
		if (c->sched_seed == 0)
			c->sched_seed = c->seed;
	} else {
		bound_mode(c, ps.duration_given, ps.ops_given);
		if (c->schedule != NULL || c->trace != NULL ||
		    c->stop_at_step != 0) {
			usage_err("--schedule/--trace/--stop-at-step need "
			    "--sched random or pct");
			return (-1);
		}
	}
	lo = vt_lock_find(c->lock);
	if (lo == NULL) {
		usage_err("--lock %s: unknown lock back end", c->lock);
		return (-1);
	}
	if (sc->needs_tryenter && lo->trylock == NULL) {
		usage_err("--lock %s: back end has no try-lock, which scenario "
		    "%s needs", lo->name, sc->name);
		return (-1);
	}
	if (c->throttlefree == THROTTLE_DERIVE)
		c->throttlefree = c->pages / 64;
	if (c->throttlefree >= c->pages) {
		usage_err("--throttlefree %" PRIu64 ": not below --pages %"
		    PRIu64, c->throttlefree, c->pages);
		return (-1);
	}
	split_roles(c, sc);
	n = vt_config_nworkers(c);
	if (n == 0) {
		usage_err("no workers: every role has 0 workers and --mmu is 0");
		return (-1);
	}
	if (n > VT_MAX_WORKERS) {
		usage_err("%u workers (roles + --mmu): more than %d", n,
		    VT_MAX_WORKERS);
		return (-1);
	}
	return (0);
}

int
vt_config_parse(struct vt_config *c, const struct vt_scenario_ops **scp,
    int argc, char **argv)
{
	struct option lo[NOPTS + VT_MAX_ROLES + 3];
	const struct vt_scenario_ops *sc;
	size_t n = 0;
	int ch;

	*scp = NULL;
	if (argc < 1 || argv[0] == NULL || argv[0][0] == '-' ||
	    argv[0][0] == '\0') {
		usage_err("run: missing scenario (see `vmtorture list`)");
		return (-1);
	}
	sc = vt_scenario_find(argv[0]);
	if (sc == NULL) {
		usage_err("run %s: unknown scenario (see `vmtorture list`)",
		    argv[0]);
		return (-1);
	}
	if (sc->nroles > VT_MAX_ROLES) {
		usage_err("scenario %s: more than %d roles", sc->name,
		    VT_MAX_ROLES);
		return (-1);
	}
	*scp = sc;
	memset(&ps, 0, sizeof (ps));
	ps.sc = sc;

	vt_config_defaults(c);
	c->scenario = sc->name;
	if (sc->defaults != NULL)
		sc->defaults(c);
	c->scenario = sc->name;

	for (size_t i = 0; i < NOPTS; i++) {
		lo[n].name = opts[i].name;
		lo[n].has_arg = opts[i].kind == K_BOOL ? no_argument :
		    required_argument;
		lo[n].flag = NULL;
		lo[n].val = VAL_OPT + (int)i;
		n++;
	}
	for (uint32_t r = 0; r < sc->nroles; r++) {
		if (find_opt(sc->roles[r].name) != NULL)
			continue;	/* a built-in option wins */
		lo[n].name = sc->roles[r].name;
		lo[n].has_arg = required_argument;
		lo[n].flag = NULL;
		lo[n].val = VAL_ROLE + (int)r;
		n++;
	}
	lo[n].name = "help";
	lo[n].has_arg = no_argument;
	lo[n].flag = NULL;
	lo[n].val = 'h';
	n++;
	memset(&lo[n], 0, sizeof (lo[n]));

	opterr = 0;
	optind = 0;	/* glibc: full re-initialisation */
	while ((ch = getopt_long(argc, argv, ":qhf:", lo, NULL)) != -1) {
		if (ch == 'h') {
			printf("usage: vmtorture run %s [options]\n%s\nroles:\n",
			    sc->name, sc->desc);
			for (uint32_t r = 0; r < sc->nroles; r++)
				printf("  --%-14s weight %u, min %u: %s\n",
				    sc->roles[r].name, sc->roles[r].weight,
				    sc->roles[r].min_count, sc->roles[r].desc);
			vt_config_print_scenario_defaults(stdout, sc);
			vt_config_print_options(stdout);
			return (1);
		} else if (ch == 'q') {
			c->quiet = true;
		} else if (ch == VAL_FILE) {
			if (load_ini(c, optarg) != 0)
				return (-1);
		} else if (ch >= VAL_ROLE && ch < VAL_ROLE + VT_MAX_ROLES) {
			if (apply_role(c, (uint32_t)(ch - VAL_ROLE), optarg) != 0)
				return (-1);
		} else if (ch >= VAL_OPT && ch < VAL_OPT + (int)NOPTS) {
			if (apply(c, &opts[ch - VAL_OPT], optarg) != 0)
				return (-1);
		} else if (ch == ':') {
			usage_err("%s: missing argument", argv[optind - 1]);
			return (-1);
		} else {
			if (optopt != 0 && optopt < VAL_OPT)
				usage_err("unknown option '-%c' (see `vmtorture "
				    "list`)", optopt);
			else
				usage_err("unknown option '%s' (see `vmtorture "
				    "list`)", argv[optind - 1]);
			return (-1);
		}
	}
	if (optind < argc) {
		usage_err("run %s: unexpected argument '%s'", sc->name,
		    argv[optind]);
		return (-1);
	}
	return (validate(c, sc));
}

/* ---- printing ---- */

/* Value of o in c as text. */
static void
fmt_value(const struct vt_config *c, const struct optdesc *o, char *buf,
    size_t len)
{
	const void *p = (const char *)c + o->off;

	switch (o->kind) {
	case K_U32:
	case K_POW2:
		snprintf(buf, len, "%" PRIu32, *(const uint32_t *)p);
		break;
	case K_U64:
	case K_THROTTLE:
		if (*(const uint64_t *)p == THROTTLE_DERIVE)
			snprintf(buf, len, "pages/64");
		else
			snprintf(buf, len, "%" PRIu64, *(const uint64_t *)p);
		break;
	case K_DBL:
	case K_PROB:
		snprintf(buf, len, "%g", *(const double *)p);
		break;
	case K_STR:
	case K_LOCK:
	case K_INJECT: {
		const char *s = *(const char *const *)p;

		snprintf(buf, len, "%s", s != NULL ? s : "");
		break;
	}
	case K_BOOL:
		snprintf(buf, len, "%s", *(const bool *)p ? "true" : "false");
		break;
	case K_SCHED:
		snprintf(buf, len, "%s",
		    sched_name(*(const enum vt_sched_mode *)p));
		break;
	case K_HREV:
		snprintf(buf, len, "%s", hrev_name(*(const int *)p));
		break;
	}
}

static bool
differs(const struct vt_config *c, const struct vt_config *base,
    const struct optdesc *o)
{
	char a[128], b[128];

	fmt_value(c, o, a, sizeof (a));
	fmt_value(base, o, b, sizeof (b));
	return (strcmp(a, b) != 0);
}

/* Option unset (string NULL / bool false): nothing to print. */
static bool
unset(const struct vt_config *c, const struct optdesc *o)
{
	const void *p = (const char *)c + o->off;

	if (o->kind == K_STR || o->kind == K_INJECT)
		return (*(const char *const *)p == NULL);
	return (false);
}

/* Word sink for the command-line builders. */
struct words {
	char	**v;		/* argv mode: NULL-terminated, malloc'd */
	int	n, cap;
	bool	oom;
	char	*buf;		/* text mode */
	size_t	len, used;
};

static void
word(struct words *w, const char *s)
{
	if (w->buf != NULL) {
		if (w->used < w->len)
			w->used += (size_t)snprintf(w->buf + w->used,
			    w->len - w->used, "%s%s", w->used ? " " : "", s);
		return;
	}
	if (w->oom)
		return;
	if (w->n + 2 > w->cap) {
		int cap = w->cap ? w->cap * 2 : 64;
		char **v = realloc(w->v, (size_t)cap * sizeof (*v));

		if (v == NULL) {
			w->oom = true;
			return;
		}
		w->v = v;
		w->cap = cap;
	}
	if ((w->v[w->n] = strdup(s)) == NULL) {
		w->oom = true;
		return;
	}
	w->n++;
	w->v[w->n] = NULL;
}

/*
 * The words of c's command line after "vmtorture": run SCENARIO --seed S
 * and the options in force (all) or those that differ from the scenario's
 * defaults; outputs: also the output options that are set.
 */
static void
cmd_words(const struct vt_config *c, bool all, bool outputs, struct words *w)
{
	const struct vt_scenario_ops *sc = ps.sc != NULL ? ps.sc :
	    vt_scenario_find(c->scenario);
	struct vt_config base;
	char v[160], opt[96];

	vt_config_defaults(&base);
	base.scenario = c->scenario;
	if (sc != NULL && sc->defaults != NULL)
		sc->defaults(&base);
	bound_mode(&base, false, false);
	if (base.throttlefree == THROTTLE_DERIVE)
		base.throttlefree = c->pages / 64;

	word(w, "run");
	word(w, c->scenario);
	word(w, "--seed");
	snprintf(v, sizeof (v), "%" PRIu64, c->seed);
	word(w, v);
	for (size_t i = 0; i < NOPTS; i++) {
		const struct optdesc *o = &opts[i];

		if (o->off == OFF(seed) || unset(c, o))
			continue;
		if ((o->flags & F_OUTPUT) && (!outputs ||
		    (o->kind == K_BOOL && !*(const bool *)(const void *)
		    ((const char *)c + o->off))))
			continue;
		if ((o->flags & F_CTRL) && c->sched == VT_SCHED_FREE)
			continue;
		if (o->off == OFF(duration) && c->duration <= 0)
			continue;
		if (o->off == OFF(ops) && c->ops == 0)
			continue;
		if (!all && !(o->flags & F_OUTPUT) && !differs(c, &base, o))
			continue;
		snprintf(opt, sizeof (opt), "--%s", o->name);
		word(w, opt);
		if (o->kind != K_BOOL) {
			fmt_value(c, o, v, sizeof (v));
			word(w, v);
		}
	}
	if (sc != NULL) {
		for (uint32_t r = 0; r < sc->nroles && r < VT_MAX_ROLES; r++) {
			if (!all && c->role_override[r] < 0)
				continue;
			snprintf(opt, sizeof (opt), "--%s", sc->roles[r].name);
			word(w, opt);
			snprintf(v, sizeof (v), "%" PRIu32, all ?
			    c->role_count[r] : (uint32_t)c->role_override[r]);
			word(w, v);
		}
	}
}

const char *
vt_config_cmdline(const struct vt_config *c, bool all, char *buf, size_t len)
{
	struct words w = { .buf = buf, .len = len };

	buf[0] = '\0';
	word(&w, "vmtorture");
	cmd_words(c, all, false, &w);
	if (w.used >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
	return (buf);
}

char **
vt_config_argv(const struct vt_config *c, bool all, bool outputs, int *argcp)
{
	struct words w = { 0 };

	cmd_words(c, all, outputs, &w);
	if (w.oom) {
		vt_config_argv_free(w.v);
		return (NULL);
	}
	if (argcp != NULL)
		*argcp = w.n;
	return (w.v);
}

void
vt_config_argv_free(char **argv)
{
	if (argv == NULL)
		return;
	for (char **p = argv; *p != NULL; p++)
		free(*p);
	free(argv);
}

void *
vt_config_json(const struct vt_config *c)
{
	const struct vt_scenario_ops *sc = ps.sc != NULL ? ps.sc :
	    vt_scenario_find(c->scenario);
	json_object *o = json_object_new_object();
	json_object *roles = json_object_new_object();

	for (size_t i = 0; i < NOPTS; i++) {
		const struct optdesc *d = &opts[i];
		const void *p = (const char *)c + d->off;
		json_object *v = NULL;
		char buf[128];

		switch (d->kind) {
		case K_U32:
		case K_POW2:
			v = json_object_new_int64(*(const uint32_t *)p);
			break;
		case K_U64:
		case K_THROTTLE:
			v = json_object_new_uint64(*(const uint64_t *)p);
			break;
		case K_DBL:
		case K_PROB:
			v = json_object_new_double(*(const double *)p);
			break;
		case K_BOOL:
			v = json_object_new_boolean(*(const bool *)p);
			break;
		case K_STR:
		case K_INJECT:
			if (*(const char *const *)p == NULL) {
				v = NULL;
				break;
			}
			/* FALLTHROUGH */
		case K_LOCK:
		case K_SCHED:
		case K_HREV:
			fmt_value(c, d, buf, sizeof (buf));
			v = json_object_new_string(buf);
			break;
		}
		json_object_object_add(o, d->name, v);
	}
	if (sc != NULL)
		for (uint32_t r = 0; r < sc->nroles && r < VT_MAX_ROLES; r++)
			json_object_object_add(roles, sc->roles[r].name,
			    json_object_new_int64(c->role_count[r]));
	if (c->mmu_walkers > 0)
		json_object_object_add(roles, "mmu",
		    json_object_new_int64(c->mmu_walkers));
	json_object_object_add(o, "roles", roles);
	return (o);
}

void
vt_config_print_options(FILE *f)
{
	struct vt_config d;
	char v[128], head[64];

	vt_config_defaults(&d);
	fprintf(f, "options of `vmtorture run SCENARIO` (defaults before the "
	    "scenario's own):\n");
	for (size_t i = 0; i < NOPTS; i++) {
		const struct optdesc *o = &opts[i];

		if (o->shortc != 0)
			snprintf(head, sizeof (head), "-%c, --%s", o->shortc,
			    o->name);
		else
			snprintf(head, sizeof (head), "--%s%s%s", o->name,
			    o->arg ? " " : "", o->arg ? o->arg : "");
		if (o->kind == K_BOOL || unset(&d, o))
			v[0] = '\0';
		else
			fmt_value(&d, o, v, sizeof (v));
		fprintf(f, "  %-30s %s%s%s%s\n", head, o->help,
		    v[0] ? " [" : "", v, v[0] ? "]" : "");
	}
	fprintf(f, "  %-30s %s\n", "--ROLE N",
	    "workers of one role of the scenario (overrides --threads' split)");
	fprintf(f, "  %-30s %s\n", "-f FILE.ini",
	    "options from an INI file: [global] key = value (option names), "
	    "[ROLE] count = N");
}

void
vt_config_print_scenario_defaults(FILE *f, const struct vt_scenario_ops *sc)
{
	struct vt_config d, s;
	char a[128];
	bool any = false;

	vt_config_defaults(&d);
	vt_config_defaults(&s);
	s.scenario = sc->name;
	if (sc->defaults != NULL)
		sc->defaults(&s);
	fprintf(f, "    defaults:");
	for (size_t i = 0; i < NOPTS; i++) {
		const struct optdesc *o = &opts[i];

		if ((o->flags & F_OUTPUT) || unset(&s, o) || !differs(&s, &d, o))
			continue;
		fmt_value(&s, o, a, sizeof (a));
		fprintf(f, " --%s %s", o->name, a);
		any = true;
	}
	fprintf(f, "%s\n", any ? "" : " (built-in)");
}
