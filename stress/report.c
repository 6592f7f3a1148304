/*
 * report.c - the run summary (stdout), the TAP line, and the JSON report
 * (DESIGN §5, §8), over the subsystems the run's scenario uses.
 *
 * Harness code (not ported).  The summary begins and ends with the command
 * line of every option in force and ends with `RESULT: PASS` or
 * `RESULT: FAIL (<check>)`.  With --tap every summary line is a TAP
 * comment ("# ...") and the result is `ok 1 - ...` / `not ok 1 - ...`.
 */
#include "report.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "output.h"
#include "run.h"
#include "subsys.h"
#include "../locks/atomic.h"
#include "../locks/locktable.h"

#define FOREACH_SUBSYS(c, ss) \
	for (const struct vt_subsys_ops *const *ss = (c)->sc != NULL && \
	    (c)->sc->subsys != NULL ? (c)->sc->subsys : NULL; \
	    ss != NULL && *ss != NULL; ss++)

void
vt_report_counter(struct vt_report *r, const char *group, const char *name,
    uint64_t value)
{
	struct vt_report_counter *k;

	if (r->ncounters == VT_REPORT_MAX_COUNTERS)
		return;
	k = &r->counters[r->ncounters++];
	k->group = group;
	k->name = name;
	k->value = value;
}

struct vt_report_table *
vt_report_table(struct vt_report *r, const char *key, const char *title,
    uint32_t ncols, const char *const *cols)
{
	struct vt_report_table *t;

	if (r->ntables == VT_REPORT_MAX_TABLES || ncols > VT_REPORT_MAX_COLS)
		return (NULL);
	t = &r->tables[r->ntables++];
	memset(t, 0, sizeof (*t));
	t->key = key;
	t->title = title;
	t->ncols = ncols;
	for (uint32_t i = 0; i < ncols; i++)
		t->cols[i] = cols[i];
	return (t);
}

void
vt_report_row(struct vt_report_table *t, const char *name,
    const uint64_t *values)
{
	if (t == NULL || t->nrows == VT_REPORT_MAX_ROWS)
		return;
	snprintf(t->rows[t->nrows].name, sizeof (t->rows[t->nrows].name),
	    "%s", name);
	for (uint32_t i = 0; i < t->ncols; i++)
		t->rows[t->nrows].v[i] = values[i];
	t->nrows++;
}

/*
 * Counts of one lock class.  Tables sum themselves; for scattered classes
 * (hat_mutex, misc) each subsystem adds the live members it knows.  World
 * stopped.
 */
static void
class_stats(const struct vt_config *c, const struct vt_lock_class *cls,
    struct vt_lock_stats *s)
{
	vt_locktable_stats(cls, s);
	if (cls->lc_locks != NULL)
		return;
	FOREACH_SUBSYS(c, ss)
		if ((*ss)->lock_members != NULL)
			(*ss)->lock_members(cls, s);
}

void
vt_report_collect(struct vt_report *r, struct vt_worker *const *workers,
    uint32_t nworkers, bool stats)
{
	double f;

	memset(r->ops, 0, sizeof (r->ops));
	memset(r->role_ops, 0, sizeof (r->role_ops));
	memset(r->role_workers, 0, sizeof (r->role_workers));
	for (uint32_t i = 0; workers != NULL && i < nworkers; i++) {
		const struct vt_worker *w = workers[i];
		uint32_t ri = w->role_index < VT_MAX_ROLES ? w->role_index :
		    VT_MAX_ROLES - 1;

		for (int k = 0; k < VT_MAX_OPS; k++)
			r->ops[k] += VT_PEEK(w->op_count[k]);
		r->role_ops[ri] += VT_PEEK(w->nops);
		r->role_workers[ri]++;
	}

	r->have_stats = stats;
	r->have_lockstat = false;
	r->nspreads = 0;
	r->nlocks = 0;
	r->ncounters = 0;
	r->ntables = 0;
	if (!stats || r->cfg == NULL)
		return;

	FOREACH_SUBSYS(r->cfg, ss)
		if ((*ss)->stats != NULL)
			(*ss)->stats(r->cfg, r);
	r->have_lockstat = r->cfg->lockstat;
	r->ls_unit = vt_lockstat_unit();
	r->ls_hold_every = (uint32_t)(vt_lockstat_hold_mask + 1);
	f = r->have_lockstat ? vt_lockstat_ns_per_tick() : 1.0;
	for (struct vt_lock_class *c = vt_lockclass_first();
	    c != NULL && r->nlocks < VT_REPORT_MAX_CLASSES; c = c->lc_next) {
		struct vt_report_lock *l = &r->locks[r->nlocks++];
		struct vt_lock_stats s;

		class_stats(r->cfg, c, &s);
		snprintf(l->name, sizeof (l->name), "%s", c->lc_name);
		l->size = c->lc_table ? c->lc_size : 0;
		l->acquisitions = s.acquisitions;
		l->contended = s.contended;
		l->have_ls = false;
		if (r->have_lockstat)
			vt_report_lockstat_class(r, l, c, &s, f);
	}
}

/* One summary line; a TAP comment with --tap. */
void
vt_report_line(FILE *f, bool tap, const char *fmt, ...)
{
	va_list ap;

	if (tap)
		fputs("# ", f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

static double
rate(uint64_t n, double secs)
{
	return (secs > 0 ? (double)n / secs : 0.0);
}

/* The operation kinds of c's subsystems, in order: calls fn(op). */
static void
print_ops(const struct vt_report *r, FILE *f, bool tap)
{
	const struct vt_config *c = r->cfg;

	vt_report_line(f, tap, "%-24s %14s %14s", "operations", "count", "per second");
	FOREACH_SUBSYS(c, ss) {
		uint32_t base = (*ss)->op_base != NULL ? *(*ss)->op_base : 0;

		for (uint32_t i = 0; i < (*ss)->nops; i++) {
			uint32_t k = base + i;

			if (k < VT_MAX_OPS && r->ops[k] != 0)
				vt_report_line(f, tap, "  %-22s %14" PRIu64 " %14.1f",
				    vt_op_name(k), r->ops[k],
				    rate(r->ops[k], r->seconds));
		}
	}
}

static void
print_stats(const struct vt_report *r, FILE *f, bool tap)
{
	const char *group = NULL;

	for (uint32_t i = 0; i < r->ncounters; i++) {
		const struct vt_report_counter *k = &r->counters[i];

		if (group == NULL || strcmp(group, k->group) != 0) {
			group = k->group;
			vt_report_line(f, tap, "%s", group);
		}
		vt_report_line(f, tap, "  %-22s %14" PRIu64, k->name, k->value);
	}
	vt_report_line(f, tap, "%-24s %14s %14s", "locks", "acquisitions", "contended");
	for (uint32_t i = 0; i < r->nlocks; i++) {
		const struct vt_report_lock *l = &r->locks[i];
		char head[64];

		if (l->acquisitions == 0)
			continue;	/* in the JSON, not worth a line */
		if (l->size != 0)
			snprintf(head, sizeof (head), "%s[%u]", l->name,
			    l->size);
		else
			snprintf(head, sizeof (head), "%s", l->name);
		vt_report_line(f, tap, "  %-22s %14" PRIu64 " %14" PRIu64, head,
		    l->acquisitions, l->contended);
	}
	vt_report_lockstat_print(r, f, tap);
	vt_report_spread_print(r, f, tap);
	for (uint32_t i = 0; i < r->ntables; i++) {
		const struct vt_report_table *t = &r->tables[i];
		char buf[256];
		size_t n;

		n = (size_t)snprintf(buf, sizeof (buf), "%-24s", t->title);
		for (uint32_t j = 0; j < t->ncols && n < sizeof (buf); j++)
			n += (size_t)snprintf(buf + n, sizeof (buf) - n, " %11s",
			    t->cols[j]);
		vt_report_line(f, tap, "%s", buf);
		for (uint32_t k = 0; k < t->nrows; k++) {
			n = (size_t)snprintf(buf, sizeof (buf), "  %-22s",
			    t->rows[k].name);
			for (uint32_t j = 0; j < t->ncols && n < sizeof (buf);
			    j++)
				n += (size_t)snprintf(buf + n, sizeof (buf) - n,
				    " %11" PRIu64, t->rows[k].v[j]);
			vt_report_line(f, tap, "%s", buf);
		}
	}
}

void
vt_report_print(const struct vt_report *r, FILE *f)
{
	const struct vt_config *c = r->cfg;
	bool tap = c->tap;
	char cmd[2048], brief[256];
	uint64_t total = 0;
	size_t n = 0;

	/* The engine printed the command line when the run started. */
	vt_config_cmdline(c, true, cmd, sizeof (cmd));
	if (c->sc != NULL)
		vt_report_line(f, tap, "scenario %s: %s", c->sc->name, c->sc->desc);
	for (uint32_t i = 0; i < c->nroles; i++)
		total += r->role_ops[i];
	brief[0] = '\0';
	FOREACH_SUBSYS(c, ss) {
		if ((*ss)->brief == NULL || n >= sizeof (brief))
			continue;
		n += (size_t)snprintf(brief + n, sizeof (brief) - n, ", ");
		if (n < sizeof (brief)) {
			(*ss)->brief(c, brief + n, sizeof (brief) - n);
			n += strlen(brief + n);
		}
	}
	vt_report_line(f, tap, "ran %.2f s: %" PRIu64 " role operations by %u workers "
	    "(sched %s, lock %s%s)", r->seconds, total, vt_config_nworkers(c),
	    c->sched == VT_SCHED_PCT ? "pct" : c->sched == VT_SCHED_RANDOM ?
	    "random" : c->sched == VT_SCHED_POS ? "pos" : "free", c->lock,
	    brief);
	if (r->controlled)
		vt_report_line(f, tap, "schedule: %" PRIu64 " points (%.0f/s), %" PRIu64
		    " switches (%.0f/s), %" PRIu64 " preemptions; trace hash "
		    "%016" PRIx64, r->sched_steps, rate(r->sched_steps,
		    r->seconds), r->sched_switches, rate(r->sched_switches,
		    r->seconds), r->sched_preemptions, r->trace_hash);
	if (r->controlled && c->sched == VT_SCHED_PCT)
		vt_report_line(f, tap, "pct: depth %u, k %" PRIu64 "%s", c->depth,
		    r->sched_k, c->steps == 0 ? " (learned from a first run)" :
		    "");
	print_ops(r, f, tap);
	if (!c->quiet) {
		vt_report_line(f, tap, "%-24s %14s %14s", "roles", "op calls",
		    "per second");
		for (uint32_t i = 0; i < c->nroles; i++) {
			char head[64];

			if (r->role_workers[i] == 0)
				continue;
			snprintf(head, sizeof (head), "%s x%u",
			    c->roles[i]->name, r->role_workers[i]);
			vt_report_line(f, tap, "  %-22s %14" PRIu64 " %14.1f", head,
			    r->role_ops[i], rate(r->role_ops[i], r->seconds));
		}
	}
	if (r->have_stats)
		print_stats(r, f, tap);
	else
		vt_report_line(f, tap, "(subsystem, lock and kmem counters not collected: "
		    "workers were still running)");
	vt_report_line(f, tap, "audits: %" PRIu64 " (last examined %" PRIu64
	    " objects)", r->audits, r->audit_objects);
	if (r->failed) {
		vt_report_line(f, tap, "failure: %s: %s", r->check, r->message);
		vt_report_line(f, tap, "replay: %s", r->replay);
	}
	vt_report_line(f, tap, "%s", cmd);
	if (r->failed)
		vt_report_line(f, tap, "RESULT: FAIL (%s)", r->check);
	else if (r->result != NULL && strcmp(r->result, "interrupted") == 0)
		vt_report_line(f, tap, "RESULT: INTERRUPTED (signal %d; every check "
		    "passed until then)", r->exit_code - 128);
	else
		vt_report_line(f, tap, "RESULT: PASS");
	if (tap) {
		if (r->failed)
			fprintf(f, "not ok 1 - %s seed %" PRIu64 " (%s)\n",
			    c->scenario, c->seed, r->check);
		else if (r->result != NULL)
			fprintf(f, "not ok 1 - %s seed %" PRIu64 " (%s)\n",
			    c->scenario, c->seed, r->result);
		else
			fprintf(f, "ok 1 - %s seed %" PRIu64 "\n", c->scenario,
			    c->seed);
	}
	fflush(f);
}

static json_object *
json_u64(uint64_t v)
{
	return (json_object_new_uint64(v));
}

/*
 * "stats" (every counter by kernel name), "locks" and the tables; empty
 * (stats_collected false) when the run ended while workers still ran.
 */
static void
json_stats(const struct vt_report *r, json_object *root)
{
	json_object *st = json_object_new_object();
	json_object *locks = json_object_new_object();

	json_object_object_add(root, "stats_collected",
	    json_object_new_boolean(r->have_stats));
	if (!r->have_stats) {
		json_object_object_add(root, "stats", st);
		json_object_object_add(root, "locks", locks);
		json_object_object_add(root, "kmem", json_object_new_object());
		return;
	}

	for (uint32_t i = 0; i < r->ncounters; i++)
		json_object_object_add(st, r->counters[i].name,
		    json_u64(r->counters[i].value));
	for (uint32_t i = 0; i < r->nlocks; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "size", json_u64(r->locks[i].size));
		json_object_object_add(o, "acquisitions",
		    json_u64(r->locks[i].acquisitions));
		json_object_object_add(o, "contended",
		    json_u64(r->locks[i].contended));
		if (r->locks[i].have_ls)
			json_object_object_add(o, "lockstat",
			    vt_report_lockstat_json(r, &r->locks[i]));
		json_object_object_add(locks, r->locks[i].name, o);
	}
	json_object_object_add(root, "stats", st);
	json_object_object_add(root, "locks", locks);
	if (r->nspreads > 0)
		json_object_object_add(root, "hash_spread",
		    vt_report_spread_json(r));
	for (uint32_t i = 0; i < r->ntables; i++) {
		const struct vt_report_table *t = &r->tables[i];
		json_object *to = json_object_new_object();

		for (uint32_t k = 0; k < t->nrows; k++) {
			json_object *ro = json_object_new_object();

			for (uint32_t j = 0; j < t->ncols; j++)
				json_object_object_add(ro, t->cols[j],
				    json_u64(t->rows[k].v[j]));
			json_object_object_add(to, t->rows[k].name, ro);
		}
		json_object_object_add(root, t->key, to);
	}
}

int
vt_report_json(const struct vt_report *r, const char *path)
{
	const struct vt_config *c = r->cfg;
	json_object *root = json_object_new_object();
	json_object *ops = json_object_new_object();
	json_object *roles = json_object_new_object();
	json_object *subs = json_object_new_array();
	int rc = 0;

	json_object_object_add(root, "scenario",
	    json_object_new_string(c->scenario));
	FOREACH_SUBSYS(c, ss)
		json_object_array_add(subs, json_object_new_string(
		    (*ss)->name));
	json_object_object_add(root, "subsystems", subs);
	json_object_object_add(root, "seed", json_u64(c->seed));
	json_object_object_add(root, "config", vt_config_json(c));
	json_object_object_add(root, "version",
	    json_object_new_string(vt_version()));
	json_object_object_add(root, "build", json_object_new_string(vt_build()));
	json_object_object_add(root, "result", json_object_new_string(
	    r->result != NULL ? r->result : !r->failed ? "pass" :
	    r->exit_code == VT_EXIT_HANG ? "hang" : "fail"));
	json_object_object_add(root, "exit_code",
	    json_object_new_int(r->exit_code));
	json_object_object_add(root, "seconds",
	    json_object_new_double(r->seconds));
	FOREACH_SUBSYS(c, ss) {
		uint32_t base = (*ss)->op_base != NULL ? *(*ss)->op_base : 0;

		for (uint32_t i = 0; i < (*ss)->nops; i++) {
			uint32_t k = base + i;
			json_object *o;

			if (k >= VT_MAX_OPS)
				break;
			o = json_object_new_object();
			json_object_object_add(o, "count", json_u64(r->ops[k]));
			json_object_object_add(o, "per_sec",
			    json_object_new_double(rate(r->ops[k],
			    r->seconds)));
			json_object_object_add(ops, vt_op_name(k), o);
		}
	}
	json_object_object_add(root, "ops", ops);
	{
		uint64_t total = 0;

		for (uint32_t i = 0; i < c->nroles; i++)
			total += r->role_ops[i];
		json_object_object_add(root, "role_ops", json_u64(total));
	}
	for (uint32_t i = 0; i < c->nroles; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "workers",
		    json_object_new_int64(r->role_workers[i]));
		json_object_object_add(o, "count", json_u64(r->role_ops[i]));
		json_object_object_add(o, "per_sec",
		    json_object_new_double(rate(r->role_ops[i], r->seconds)));
		json_object_object_add(roles, c->roles[i]->name, o);
	}
	json_object_object_add(root, "roles", roles);
	json_stats(r, root);
	json_object_object_add(root, "audits", json_u64(r->audits));
	json_object_object_add(root, "audit_objects",
	    json_u64(r->audit_objects));
	if (r->controlled) {
		json_object *so = json_object_new_object();
		char hash[32];

		snprintf(hash, sizeof (hash), "%016" PRIx64, r->trace_hash);
		json_object_object_add(so, "steps", json_u64(r->sched_steps));
		json_object_object_add(so, "switches",
		    json_u64(r->sched_switches));
		json_object_object_add(so, "preemptions",
		    json_u64(r->sched_preemptions));
		json_object_object_add(so, "trace_hash",
		    json_object_new_string(hash));
		json_object_object_add(root, "schedule", so);
	}
	if (r->failed) {
		json_object *fo = json_object_new_object();

		json_object_object_add(fo, "check",
		    json_object_new_string(r->check));
		json_object_object_add(fo, "message",
		    json_object_new_string(r->message));
		json_object_object_add(fo, "replay",
		    json_object_new_string(r->replay));
		json_object_object_add(fo, "exit_code",
		    json_object_new_int(r->exit_code));
		if (r->controlled)
			json_object_object_add(fo, "step",
			    json_u64(r->fail_step));
		json_object_object_add(root, "failure", fo);
	}
	{
		size_t len;
		const char *s = json_object_to_json_string_length(root,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE,
		    &len);
		char *text = malloc(len + 2);

		if (s == NULL || text == NULL) {
			fprintf(stderr, "vmtorture: --json %s: out of memory\n",
			    path);
			rc = -1;
		} else {
			memcpy(text, s, len);
			text[len] = '\n';
			rc = vt_output_write("--json", path, text, len + 1);
		}
		free(text);
	}
	json_object_put(root);
	return (rc);
}
