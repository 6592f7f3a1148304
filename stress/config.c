/*
 * config.c - the run configuration: the engine's option table (each option
 * declared once, with its default and a sentence of help), the options
 * blocks of the subsystems, command-line parsing, validation and the
 * per-role worker split.
 *
 * Harness code (not ported).  Every usage error is one line on stderr and
 * exit code 2 (the caller turns -1 into that); nothing here may crash on bad
 * input.
 */
#include "config.h"
#include "config_impl.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"
#include "subsys.h"
#include "../locks/lockops.h"
#include "../locks/lockstat.h"
#include "../base/inject.h"

#define OFF(f)	offsetof(struct vt_config, f)
#define U64MAX	18446744073709551615.0

static const struct vt_param_choice sched_choices[] = {
	{ "free", VT_SCHED_FREE },
	{ "random", VT_SCHED_RANDOM },
	{ "pct", VT_SCHED_PCT },
	{ "pos", VT_SCHED_POS },
	{ NULL, 0 },
};

const struct vt_param vt_engine_params[] = {
	{ "seed", 0, VT_P_U64, OFF(seed), 0, U64MAX, "N",
	    "seed of every worker's operations and injected faults", 0, 1 },
	{ "threads", 0, VT_P_U32, OFF(threads), 1, VT_MAX_WORKERS, "N",
	    "workers, split over the scenario's roles by weight", 0, 4 },
	{ "duration", 0, VT_P_DBL, OFF(duration), 0.001, 1e7, "T",
	    "run for T (seconds, or 500ms, 10s, 5m, 2h; exclusive with --ops)",
	    VT_PF_TIME, 5 },
	{ "ops", 0, VT_P_U64, OFF(ops), 1, 1e18, "N",
	    "run N operations per worker (exclusive with --duration; "
	    "controlled mode: 200)", 0, 0 },
	{ "sched", 0, VT_P_ENUM, OFF(sched), 0, 0, "MODE",
	    "free runs real threads; random and pct are controlled (fibers, "
	    "exact replay)", 0, 0, "free", sched_choices },
	{ "sched-seed", 0, VT_P_U64, OFF(sched_seed), 0, U64MAX, "N",
	    "seed of the controlled scheduler's decisions (0: --seed)",
	    VT_PF_CTRL, 0 },
	{ "depth", 0, VT_P_U32, OFF(depth), 1, 64, "D",
	    "pct: bug depth d (d-1 priority change points)", VT_PF_CTRL, 3 },
	{ "steps", 0, VT_P_U64, OFF(steps), 0, 1e15, "K",
	    "pct: estimated schedule points k (0: learn from a first run)",
	    VT_PF_CTRL, 0 },
	{ "switch-prob", 0, VT_P_PROB, OFF(switch_prob), 0, 1, "P",
	    "random: probability of a switch at each schedule point",
	    VT_PF_CTRL, 0.05 },
	{ "max-steps", 0, VT_P_U64, OFF(max_steps), 0, 1e15, "N",
	    "controlled: step budget, beyond it the run is a hang (0: auto)",
	    VT_PF_CTRL, 0 },
	{ "livelock-steps", 0, VT_P_U64, OFF(livelock_steps), 0, 1e15, "N",
	    "controlled mode: fail with livelock when no worker completes an operation for N steps (0: off)",
	    VT_PF_CTRL, 200000 },
	{ "stop-at-step", 0, VT_P_U64, OFF(stop_at_step), 0, 1e15, "N",
	    "controlled: stop at schedule point N (inspect a replay)",
	    VT_PF_CTRL, 0 },
	{ "schedule", 0, VT_P_STR, OFF(schedule), 0, 0, "FILE",
	    "controlled: follow the switches of a trace/schedule file",
	    VT_PF_CTRL, 0 },
	{ "trace", 0, VT_P_STR, OFF(trace), 0, 0, "FILE",
	    "controlled: write the schedule (its switches) to FILE",
	    VT_PF_OUTPUT, 0 },
	{ "trace-tail", 0, VT_P_U32, OFF(trace_tail), 0, 1 << 24, "N",
	    "controlled: the trace ends with the last N schedule points",
	    VT_PF_OUTPUT | VT_PF_CTRL, 200 },
	{ "trace-all", 0, VT_P_BOOL, OFF(trace_all), 0, 0, NULL,
	    "controlled: the trace lists every schedule point",
	    VT_PF_OUTPUT | VT_PF_CTRL, 0 },
	{ "lock", 0, VT_P_LOCK, OFF(lock), 0, 0, "NAME",
	    "lock back end (see `vmtorture list`)", 0, 0, "pthread" },
	{ "audit-interval", 0, VT_P_DBL, OFF(audit_interval), 0, 1e7, "T",
	    "stop the world and audit every T (0: only at the end)",
	    VT_PF_TIME, 1 },
	{ "audit-ops", 0, VT_P_U64, OFF(audit_ops), 0, 1e18, "N",
	    "controlled: stop the world and audit every N operations in all "
	    "(0: only at the end)", VT_PF_CTRL, 250 },
	{ "watchdog", 0, VT_P_DBL, OFF(watchdog), 1, 1e7, "T",
	    "fail as a hang when a worker makes no progress for T (at least "
	    "1s: shorter ones report scheduling noise as hangs)", VT_PF_TIME,
	    30 },
	{ "lockdep", 0, VT_P_BOOL, OFF(lockdep), 0, 0, NULL,
	    "check the lock order: a class cycle fails the run (lock-order) "
	    "the first time it closes (--lockdep=false: off)", 0, 1 },
	{ "lockdep-edges", 0, VT_P_STR, OFF(lockdep_edges), 0, 0, "FILE",
	    "write the lock-class edges the run saw (\"A -> B site\" lines) "
	    "to FILE at its end", VT_PF_OUTPUT, 0 },
	{ "lockstat", 0, VT_P_BOOL, OFF(lockstat), 0, 0, NULL,
	    "time every mutex (wait, hold) and name the contending call sites; "
	    "tables per lock class and hottest buckets in the report (controlled "
	    "mode: times in schedule steps)", VT_PF_OUTPUT, 0 },
	{ "lockstat-top", 0, VT_P_U32, OFF(lockstat_top), 1, 16, "N",
	    "--lockstat: show the N hottest buckets of each lock table",
	    VT_PF_OUTPUT, 5 },
	{ "lockstat-hold-every", 0, VT_P_POW2, OFF(lockstat_hold_every), 1,
	    1024, "N", "--lockstat: time the hold of one acquisition in N of "
	    "each mutex (1: every one; waits are always timed)", VT_PF_OUTPUT,
	    VT_LOCKSTAT_HOLD_EVERY },
	{ "hash-spread", 0, VT_P_BOOL, OFF(hash_spread), 0, 0, NULL,
	    "report how the run's pages, mappings and tables fall on the "
	    "buckets of each hash and lock table (histogram, max/mean, "
	    "chi-square against uniform)", VT_PF_OUTPUT, 0 },
	{ "inject", 0, VT_P_STR, OFF(inject), 0, 0, "NAME",
	    "switch on a mutant of the bug catalogue (repeatable, or a comma list; see `vmtorture list`)", 0, 0 },
	{ "json", 0, VT_P_STR, OFF(json), 0, 0, "FILE",
	    "write the report as JSON to FILE", VT_PF_OUTPUT, 0 },
	{ "tap", 0, VT_P_BOOL, OFF(tap), 0, 0, NULL,
	    "also print TAP (for meson's tap protocol)", VT_PF_OUTPUT, 0 },
	{ "quiet", 'q', VT_P_BOOL, OFF(quiet), 0, 0, NULL,
	    "no per-role lines in the summary", VT_PF_OUTPUT, 0 },
};
const size_t vt_engine_nparams = sizeof (vt_engine_params) /
    sizeof (vt_engine_params[0]);

/*
 * What the parse saw (one parse per process): which of --duration and
 * --ops the command line and the INI file gave (the command line wins).
 */
static struct {
	bool	duration_given, ops_given;		/* resolved */
	bool	dur_cli, ops_cli, dur_file, ops_file;
} ps;

void *
vt_config_sub(struct vt_config *c, const struct vt_subsys_ops *ss)
{
	int i = vt_subsys_index(ss);

	return (i >= 0 ? c->sub[i] : NULL);
}

const void *
vt_config_sub_const(const struct vt_config *c, const struct vt_subsys_ops *ss)
{
	int i = vt_subsys_index(ss);

	return (i >= 0 ? c->sub[i] : NULL);
}

void
vt_config_defaults(struct vt_config *c)
{
	const struct vt_subsys_ops *const *ssp = vt_engine_subsystems();

	memset(c, 0, sizeof (*c));
	vt_param_defaults(vt_engine_params, vt_engine_nparams, c);
	for (int r = 0; r < VT_MAX_ROLES; r++)
		c->role_override[r] = -1;
	for (int i = 0; ssp != NULL && ssp[i] != NULL; i++)
		vt_param_defaults(ssp[i]->params, ssp[i]->nparams, c->sub[i]);
}

/* c's roles: the scenario's, then each subsystem's, in order. */
static int
collect_roles(struct vt_config *c, const struct vt_scenario_ops *sc)
{
	c->nroles = 0;
	for (uint32_t r = 0; r < sc->nroles; r++) {
		if (c->nroles == VT_MAX_ROLES)
			return (-1);
		c->roles[c->nroles++] = &sc->roles[r];
	}
	for (int s = 0; sc->subsys != NULL && sc->subsys[s] != NULL; s++) {
		const struct vt_subsys_ops *ss = sc->subsys[s];

		for (uint32_t r = 0; r < ss->nroles; r++) {
			if (c->nroles == VT_MAX_ROLES)
				return (-1);
			c->roles[c->nroles++] = &ss->roles[r];
		}
	}
	return (0);
}

void
vt_config_base(struct vt_config *c, const struct vt_scenario_ops *sc)
{
	vt_config_defaults(c);
	c->scenario = sc->name;
	c->sc = sc;
	(void) collect_roles(c, sc);
	if (sc->defaults != NULL)
		sc->defaults(c);
	c->scenario = sc->name;
	c->sc = sc;
}

const struct vt_param *
vt_config_param_at(const struct vt_config *c, size_t i, const void **blockp,
    const struct vt_subsys_ops **ssp)
{
	const struct vt_scenario_ops *sc = c->sc;

	if (i < vt_engine_nparams) {
		*blockp = c;
		*ssp = NULL;
		return (&vt_engine_params[i]);
	}
	i -= vt_engine_nparams;
	for (int s = 0; sc != NULL && sc->subsys != NULL &&
	    sc->subsys[s] != NULL; s++) {
		const struct vt_subsys_ops *ss = sc->subsys[s];

		if (i < ss->nparams) {
			*blockp = vt_config_sub_const(c, ss);
			*ssp = ss;
			return (&ss->params[i]);
		}
		i -= ss->nparams;
	}
	return (NULL);
}

int
vt_config_role_index(const struct vt_config *c, const char *name)
{
	for (uint32_t r = 0; r < c->nroles; r++)
		if (strcmp(c->roles[r]->name, name) == 0)
			return ((int)r);
	return (-1);
}

uint32_t
vt_config_role_count(const struct vt_config *c, const char *name)
{
	int r = vt_config_role_index(c, name);

	return (r >= 0 ? c->role_count[r] : 0);
}

int
vt_config_set_role(struct vt_config *c, uint32_t r, const char *val)
{
	uint64_t u;

	if (vt_parse_u64(val, &u) != 0) {
		vt_usage_err("--%s %s: not a number", c->roles[r]->name,
		    val != NULL ? val : "");
		return (-1);
	}
	if (u > VT_MAX_WORKERS) {
		vt_usage_err("--%s %s: more than %d workers",
		    c->roles[r]->name, val, VT_MAX_WORKERS);
		return (-1);
	}
	c->role_override[r] = (int32_t)u;
	return (0);
}

/*
 * A second --inject: the list grows.  The joined list lives here (one
 * command line is parsed per process that runs it).
 */
static char inject_buf[512];

static int
inject_append(struct vt_config *c, const char *val, const char *where)
{
	char tmp[sizeof (inject_buf)];
	int n;

	n = snprintf(tmp, sizeof (tmp), "%s,%s", c->inject, val);
	if (n < 0 || (size_t)n >= sizeof (tmp)) {
		vt_usage_err("%s--inject: the list of mutants is longer than "
		    "%zu bytes", where, sizeof (tmp) - 1);
		return (-1);
	}
	memcpy(inject_buf, tmp, (size_t)n + 1);
	c->inject = inject_buf;
	return (0);
}

/*
 * Check a --inject list: every comma-separated name is a mutant of the
 * catalogue that one of the scenario's subsystems (or the locks) carries.
 * With on != NULL, also mark them.  0, or -1 after one usage line.
 */
int
vt_config_inject_parse(const struct vt_config *c,
    const struct vt_scenario_ops *sc, bool *on)
{
	const char *s = c->inject;

	if (!VT_INJECT_BUILT && s != NULL && *s != '\0') {
		vt_usage_err("--inject %s: this vmtorture is built without the "
		    "bug catalogue (meson -Dinject=false)", s);
		return (-1);
	}
	while (s != NULL && *s != '\0') {
		size_t len = strcspn(s, ",");
		char name[96];
		int m, ok = 0;

		if (len == 0 || len >= sizeof (name)) {
			vt_usage_err("--inject %s: an empty name, or one too long, in "
			    "the list", c->inject);
			return (-1);
		}
		memcpy(name, s, len);
		name[len] = '\0';
		if ((m = vt_mutant_find(name)) < 0) {
			vt_usage_err("--inject %s: unknown mutant (see `vmtorture "
			    "list`)", name);
			return (-1);
		}
		if (strcmp(vt_mutant_table[m].subsys, "locks") == 0)
			ok = 1;
		for (int i = 0; !ok && sc->subsys != NULL &&
		    sc->subsys[i] != NULL; i++)
			ok = strcmp(sc->subsys[i]->name,
			    vt_mutant_table[m].subsys) == 0;
		if (!ok) {
			vt_usage_err("--inject %s: a mutant of subsystem %s, "
			    "which scenario %s does not use", name,
			    vt_mutant_table[m].subsys, sc->name);
			return (-1);
		}
		if (on != NULL)
			on[m] = true;
		s += len;
		if (*s == ',' && *++s == '\0') {
			vt_usage_err("--inject %s: an empty name at the end of "
			    "the list", c->inject);
			return (-1);
		}
	}
	return (0);
}

int
vt_config_set(struct vt_config *c, const char *name, const char *val,
    const char *where)
{
	const struct vt_subsys_ops *const *all = vt_engine_subsystems();
	const struct vt_subsys_ops *ss;
	const struct vt_param *p;
	const void *block;
	int r;

	for (size_t i = 0; (p = vt_config_param_at(c, i, &block, &ss)) != NULL;
	    i++) {
		if (strcmp(p->name, name) != 0)
			continue;
		if (ss == NULL && p->off == OFF(inject) && c->inject != NULL &&
		    val != NULL && *val != '\0')
			return (inject_append(c, val, where));
		vt_usage_prefix(where);
		r = vt_param_apply(p, (void *)(uintptr_t)block, val);
		vt_usage_prefix(NULL);
		if (r != 0)
			return (-1);
		if (ss == NULL && p->off == OFF(duration))
			*(where[0] ? &ps.dur_file : &ps.dur_cli) = true;
		if (ss == NULL && p->off == OFF(ops))
			*(where[0] ? &ps.ops_file : &ps.ops_cli) = true;
		return (0);
	}
	if ((r = vt_config_role_index(c, name)) >= 0) {
		vt_usage_prefix(where);
		r = vt_config_set_role(c, (uint32_t)r, val);
		vt_usage_prefix(NULL);
		return (r);
	}
	/* An option of a subsystem this scenario does not use. */
	for (int s = 0; all != NULL && all[s] != NULL; s++)
		for (uint32_t i = 0; i < all[s]->nparams; i++)
			if (strcmp(all[s]->params[i].name, name) == 0) {
				vt_usage_err("%s--%s: an option of "
				    "subsystem %s, which scenario %s does not "
				    "use", where, name, all[s]->name,
				    c->scenario);
				return (-1);
			}
	vt_usage_err("%sunknown option '--%s' (see `vmtorture list`)",
	    where, name);
	return (-1);
}

/* ---- resolution and validation ---- */

/*
 * Split c->threads over the roles without an override, in proportion to
 * their weights (largest remainder, ties to the earlier role), then raise
 * each to its min_count.  Roles with --ROLE N get exactly N, taken from
 * --threads unless the role is an extra one (simulated hardware).
 */
static void
split_roles(struct vt_config *c)
{
	uint32_t nroles = c->nroles;
	uint64_t fixed = 0, wsum = 0, remaining, given = 0;
	uint64_t rem[VT_MAX_ROLES];

	for (uint32_t r = 0; r < VT_MAX_ROLES; r++)
		c->role_count[r] = 0;
	for (uint32_t r = 0; r < nroles; r++) {
		if (c->role_override[r] >= 0) {
			c->role_count[r] = (uint32_t)c->role_override[r];
			if (!c->roles[r]->extra)
				fixed += (uint64_t)c->role_override[r];
		} else {
			wsum += c->roles[r]->weight;
		}
	}
	remaining = c->threads > fixed ? c->threads - fixed : 0;
	for (uint32_t r = 0; r < nroles; r++) {
		rem[r] = 0;
		if (c->role_override[r] >= 0 || wsum == 0)
			continue;
		c->role_count[r] = (uint32_t)(remaining * c->roles[r]->weight /
		    wsum);
		rem[r] = remaining * c->roles[r]->weight % wsum;
		given += c->role_count[r];
	}
	while (wsum != 0 && given < remaining) {
		int best = -1;

		for (uint32_t r = 0; r < nroles; r++) {
			if (c->role_override[r] >= 0 ||
			    c->roles[r]->weight == 0)
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
		    c->role_count[r] < c->roles[r]->min_count)
			c->role_count[r] = c->roles[r]->min_count;
}

uint32_t
vt_config_nworkers(const struct vt_config *c)
{
	uint64_t n = 0;

	for (int r = 0; r < VT_MAX_ROLES; r++)
		n += c->role_count[r];
	return (n > UINT32_MAX ? UINT32_MAX : (uint32_t)n);
}

/*
 * Exactly one of duration/ops is in force: the one given on the command
 * line; with neither, the scenario's choice, duration winning if it set both.
 */
void
vt_config_bound_mode(struct vt_config *c, bool duration_given, bool ops_given)
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

static const char *
sched_name(int m)
{
	return (m == VT_SCHED_PCT ? "pct" : m == VT_SCHED_RANDOM ? "random" :
	    m == VT_SCHED_POS ? "pos" : "free");
}

static int
validate(struct vt_config *c, const struct vt_scenario_ops *sc)
{
	const struct vt_lock_ops *lo;
	char err[256];
	uint32_t n;

	if ((ps.dur_cli && ps.ops_cli) || (!ps.dur_cli && !ps.ops_cli &&
	    ps.dur_file && ps.ops_file)) {
		vt_usage_err("--duration and --ops are exclusive (give one)");
		return (-1);
	}
	/* The command line's bound overrides the file's. */
	ps.duration_given = ps.dur_cli || (ps.dur_file && !ps.ops_cli);
	ps.ops_given = ps.ops_cli || (ps.ops_file && !ps.dur_cli);
	if (c->sched != VT_SCHED_FREE) {
		/* Controlled mode: no wall clock, runs are bounded by ops. */
		if (ps.duration_given) {
			vt_usage_err("--duration: controlled mode (--sched "
			    "%s) runs by --ops, not by time",
			    sched_name(c->sched));
			return (-1);
		}
		if (!ps.ops_given)
			c->ops = 200;
		c->duration = 0;
		if (c->sched_seed == 0)
			c->sched_seed = c->seed;
	} else {
		vt_config_bound_mode(c, ps.duration_given, ps.ops_given);
		if (c->schedule != NULL || c->trace != NULL ||
		    c->stop_at_step != 0) {
			vt_usage_err("--schedule/--trace/--stop-at-step "
			    "need --sched random or pct");
			return (-1);
		}
	}
	if (vt_config_inject_parse(c, sc, NULL) != 0)
		return (-1);
	lo = vt_lock_find(c->lock);
	if (lo == NULL) {
		vt_usage_err("--lock %s: unknown lock back end", c->lock);
		return (-1);
	}
	if (sc->needs_tryenter && lo->trylock == NULL) {
		vt_usage_err("--lock %s: back end has no try-lock, which "
		    "scenario %s needs", lo->name, sc->name);
		return (-1);
	}
	split_roles(c);
	n = vt_config_nworkers(c);
	if (n == 0) {
		vt_usage_err("no workers: every role has 0 workers");
		return (-1);
	}
	if (n > VT_MAX_WORKERS) {
		vt_usage_err("%u workers (all roles): more than %d", n,
		    VT_MAX_WORKERS);
		return (-1);
	}
	/* Subsystems check their options knowing the roles' counts. */
	for (int s = 0; sc->subsys != NULL && sc->subsys[s] != NULL; s++) {
		const struct vt_subsys_ops *ss = sc->subsys[s];

		err[0] = '\0';
		if (ss->validate != NULL && ss->validate(c, vt_config_sub(c,
		    ss), err, sizeof (err)) != 0) {
			vt_usage_err("%s", err[0] ? err : "invalid options");
			return (-1);
		}
	}
	if (c->sched != VT_SCHED_FREE && c->max_steps == 0 &&
	    vt_config_step_budget(c) == UINT64_MAX) {
		vt_usage_err("--ops %" PRIu64 ": too many for controlled mode "
		    "(the step budget of %u workers overflows; give fewer "
		    "--ops or a --max-steps)", c->ops, n);
		return (-1);
	}
	return (0);
}

uint64_t
vt_config_step_budget(const struct vt_config *c)
{
	const struct vt_scenario_ops *sc = c->sc;
	/*
	 * The automatic budget: a base of 10000 points per operation plus each
	 * subsystem's own allowance (the HAT's grows with --pages), times
	 * --ops and the workers, plus 1e6.  Measured normal runs (200 ops, 4
	 * workers, seed 1) take 86-110 points per operation on map-unmap and
	 * pageunload, ~1100 on htable-steal and up to 4069 on hment-steal,
	 * whose steals scan pages: the default hat budget (75536 per
	 * operation at 65536 pages) is 18x the worst of them.  A livelock is
	 * the livelock check's to report, long before this.
	 */
	uint64_t per_op = 10000, total;

	if (c->max_steps != 0)
		return (c->max_steps);
	for (int i = 0; sc != NULL && sc->subsys != NULL &&
	    sc->subsys[i] != NULL; i++)
		if (sc->subsys[i]->steps_per_op != NULL &&
		    __builtin_add_overflow(per_op,
		    sc->subsys[i]->steps_per_op(c), &per_op))
			return (UINT64_MAX);
	if (__builtin_mul_overflow(c->ops, (uint64_t)vt_config_nworkers(c),
	    &total) || __builtin_mul_overflow(total, per_op, &total) ||
	    __builtin_add_overflow(total, 1000000, &total))
		return (UINT64_MAX);
	return (total);
}

/* --help of `run SCENARIO`. */
static void
run_help(const struct vt_config *c, const struct vt_scenario_ops *sc)
{
	printf("usage: vmtorture run %s [options]\n%s\nroles:\n", sc->name,
	    sc->desc);
	for (uint32_t r = 0; r < c->nroles; r++)
		printf("  --%-14s weight %u, min %u: %s\n", c->roles[r]->name,
		    c->roles[r]->weight, c->roles[r]->min_count,
		    c->roles[r]->desc);
	vt_config_print_scenario_defaults(stdout, sc);
	vt_config_print_options(stdout, sc);
}

/* The word getopt_long just took an option from (before its argument). */
static const char *
opt_word(int argc, char **argv)
{
	if (optarg != NULL && optind >= 2 && optind - 1 < argc &&
	    optarg == argv[optind - 1])
		return (argv[optind - 2]);
	return (optind >= 1 && optind - 1 < argc ? argv[optind - 1] : "");
}

/*
 * getopt_long takes unique prefixes ("--dur"); vmtorture takes whole names
 * only, so a line means the same after more options are added.
 */
static bool
exact_name(int argc, char **argv, const char *name)
{
	const char *w = opt_word(argc, argv);
	size_t len;

	if (strncmp(w, "--", 2) != 0)
		return (false);
	w += 2;
	len = strcspn(w, "=");
	return (len == strlen(name) && strncmp(w, name, len) == 0);
}

/* getopt_long values: option words by index. */
#define VAL_WORD	1000
#define MAX_WORDS	(VT_MAX_ROLES + 256)

/* `run --help` without a scenario. */
static void
generic_help(void)
{
	printf("usage: vmtorture run SCENARIO [options]\n"
	    "       vmtorture run -f FILE.ini [options]   (the file names the "
	    "scenario)\n"
	    "`vmtorture list` shows the scenarios; `vmtorture run SCENARIO "
	    "--help` its roles\nand every option with its default.\n\n");
	vt_config_print_options(stdout, NULL);
}

/*
 * The scenario of a command line that does not start with one: the
 * `scenario =` of its first -f FILE.  NULL (message printed) if none.
 */
static const struct vt_scenario_ops *
scenario_from_file(int argc, char **argv)
{
	char name[64];

	for (int i = 0; i < argc; i++) {
		const char *path = NULL;

		if (strcmp(argv[i], "-f") == 0 && i + 1 < argc)
			path = argv[i + 1];
		else if (strncmp(argv[i], "-f", 2) == 0 && argv[i][2] != '\0')
			path = argv[i] + 2;
		else if (strcmp(argv[i], "--") == 0)
			break;
		if (path == NULL)
			continue;
		if (vt_config_ini_scenario(path, name, sizeof (name)) != 0)
			return (NULL);
		if (vt_scenario_find(name) == NULL) {
			vt_usage_err("%s: scenario %s: unknown scenario (see "
			    "`vmtorture list`)", path, name);
			return (NULL);
		}
		return (vt_scenario_find(name));
	}
	vt_usage_err("run: missing scenario (see `vmtorture list`)");
	return (NULL);
}

int
vt_config_parse(struct vt_config *c, const struct vt_scenario_ops **scp,
    int argc, char **argv)
{
	struct option lo[MAX_WORDS + 2];
	const char *names[MAX_WORDS];
	const struct vt_scenario_ops *sc;
	const struct vt_subsys_ops *ss;
	const struct vt_param *p;
	const void *block;
	char *av[512];
	size_t n = 0;
	int ch, li = 0, ac = 0, pass;

	*scp = NULL;
	if (argc < 1 || argv[0] == NULL || argv[0][0] == '\0') {
		vt_usage_err("run: missing scenario (see `vmtorture list`)");
		return (-1);
	}
	if (argv[0][0] == '-') {
		if (argc == 1 && (strcmp(argv[0], "--help") == 0 ||
		    strcmp(argv[0], "-h") == 0)) {
			generic_help();
			return (1);
		}
		if ((sc = scenario_from_file(argc, argv)) == NULL)
			return (-1);
	} else if ((sc = vt_scenario_find(argv[0])) == NULL) {
		vt_usage_err("run %s: unknown scenario (see `vmtorture list`)",
		    argv[0]);
		return (-1);
	} else {
		argv++;
		argc--;
	}
	if (argc + 2 > (int)(sizeof (av) / sizeof (av[0]))) {
		vt_usage_err("run: more than %zu arguments",
		    sizeof (av) / sizeof (av[0]) - 2);
		return (-1);
	}
	/* getopt's argv: a program name, then the options. */
	av[ac++] = (char *)(uintptr_t)"run";
	for (int i = 0; i < argc; i++)
		av[ac++] = argv[i];
	av[ac] = NULL;

	*scp = sc;
	memset(&ps, 0, sizeof (ps));
	vt_config_base(c, sc);
	if (collect_roles(c, sc) != 0) {
		vt_usage_err("scenario %s: more than %d roles", sc->name,
		    VT_MAX_ROLES);
		return (-1);
	}

	for (size_t i = 0; (p = vt_config_param_at(c, i, &block, &ss)) != NULL &&
	    n < MAX_WORDS; i++) {
		names[n] = p->name;
		lo[n].name = p->name;
		lo[n].has_arg = p->kind == VT_P_BOOL ? optional_argument :
		    required_argument;
		lo[n].flag = NULL;
		lo[n].val = VAL_WORD + (int)n;
		n++;
	}
	for (uint32_t r = 0; r < c->nroles && n < MAX_WORDS; r++) {
		names[n] = c->roles[r]->name;
		lo[n].name = c->roles[r]->name;
		lo[n].has_arg = required_argument;
		lo[n].flag = NULL;
		lo[n].val = VAL_WORD + (int)n;
		n++;
	}
	lo[n].name = "help";
	lo[n].has_arg = no_argument;
	lo[n].flag = NULL;
	lo[n].val = 'h';
	memset(&lo[n + 1], 0, sizeof (lo[n + 1]));

	/*
	 * Pass 0 loads the -f files, pass 1 applies the other options, so
	 * the command line overrides a file wherever -f stands.
	 */
	opterr = 0;
	for (pass = 0; pass < 2; pass++) {
		optind = 0;	/* glibc: full re-initialisation */
		while ((ch = getopt_long(ac, av, ":qhf:", lo, &li)) != -1) {
			if (pass == 0) {
				if (ch == 'f' &&
				    vt_config_load_ini(c, optarg) != 0)
					return (-1);
				continue;
			}
			if (ch >= VAL_WORD && ch < VAL_WORD + (int)n &&
			    !exact_name(ac, av, lo[li].name)) {
				vt_usage_err("unknown option '%s' (options take "
				    "their whole name: did you mean --%s?)",
				    opt_word(ac, av), lo[li].name);
				return (-1);
			}
			if (ch == 'h') {
				run_help(c, sc);
				return (1);
			} else if (ch == 'q') {
				c->quiet = true;
			} else if (ch == 'f') {
				continue;	/* pass 0 */
			} else if (ch >= VAL_WORD && ch < VAL_WORD + (int)n) {
				if (vt_config_set(c, names[ch - VAL_WORD],
				    optarg, "") != 0)
					return (-1);
			} else if (ch == ':') {
				vt_usage_err("%s: missing argument",
				    av[optind - 1]);
				return (-1);
			} else if (optopt != 0 && optopt < VAL_WORD) {
				vt_usage_err("unknown option '-%c' (see "
				    "`vmtorture list`)", optopt);
				return (-1);
			} else {
				const char *a = av[optind - 1];

				/* A subsystem's option this scenario lacks? */
				if (strncmp(a, "--", 2) == 0 && a[2] != '\0') {
					char name[96];

					snprintf(name, sizeof (name), "%.*s",
					    (int)strcspn(a + 2, "="), a + 2);
					(void) vt_config_set(c, name, NULL, "");
				} else {
					vt_usage_err("unknown option '%s' (see "
					    "`vmtorture list`)", a);
				}
				return (-1);
			}
		}
	}
	if (optind < ac) {
		vt_usage_err("run %s: unexpected argument '%s'", sc->name,
		    av[optind]);
		return (-1);
	}
	return (validate(c, sc));
}
