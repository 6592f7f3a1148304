/*
 * report.c - the run summary (stdout), the TAP line, and the JSON report
 * (DESIGN §5, §8).
 *
 * Harness code (not ported).  The summary begins and ends with the command
 * line of every option in force and ends with `RESULT: PASS` or
 * `RESULT: FAIL (<check>)`.  With --tap every summary line is a TAP
 * comment ("# ...") and the result is `ok 1 - ...` / `not ok 1 - ...`.
 */
#include "run.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "../core/hat.h"
#include "../core/hment.h"
#include "../core/htable.h"
#include "../core/mmu.h"
#include "../core/sys.h"
#include "../locks/atomic.h"
#include "../locks/lockops.h"
#include "../locks/locktable.h"

/* Singleton mutexes of the port that live outside any table. */
static const kmutex_t *
known_mutex(int i)
{
	switch (i) {
	case 0:	return (&hat_list_lock);
	case 1:	return (&hment_reserve_mutex);
	case 2:	return (&htable_reserve_mutex);
	default: return (NULL);
	}
}

/*
 * Counts of one lock class.  Tables sum themselves; for scattered classes
 * (hat_mutex, misc) add the live members we can see: every hat's hat_mutex
 * and the port's global singletons.  World stopped.
 */
static void
class_stats(const struct vt_lock_class *cls, struct vt_lock_stats *s)
{
	const kmutex_t *m;
	hat_t *hat;

	vt_locktable_stats(cls, s);
	if (cls->lc_locks != NULL)
		return;
	for (int i = 0; (m = known_mutex(i)) != NULL; i++)
		if (m->m_class == cls)
			vt_lockclass_add(s, m);
	if (kas.a_hat != NULL && kas.a_hat->hat_mutex.m_class == cls)
		vt_lockclass_add(s, &kas.a_hat->hat_mutex);
	for (hat = vt_hat_first(); hat != NULL; hat = vt_hat_next(hat))
		if (hat != kas.a_hat && hat->hat_mutex.m_class == cls)
			vt_lockclass_add(s, &hat->hat_mutex);
}

void
vt_report_collect(struct vt_report *r, struct vt_worker *const *workers,
    uint32_t nworkers, bool stats)
{
	memset(r->ops, 0, sizeof (r->ops));
	memset(r->role_ops, 0, sizeof (r->role_ops));
	memset(r->role_workers, 0, sizeof (r->role_workers));
	r->nroles = 0;
	for (uint32_t i = 0; workers != NULL && i < nworkers; i++) {
		const struct vt_worker *w = workers[i];
		uint32_t ri = w->role_index < VT_REPORT_MAX_ROLES ?
		    w->role_index : VT_REPORT_MAX_ROLES - 1;

		for (int k = 0; k < VT_NOPS; k++)
			r->ops[k] += VT_PEEK(w->op_count[k]);
		r->role_ops[ri] += VT_PEEK(w->nops);
		r->role_workers[ri]++;
		r->role_name[ri] = w->role != NULL ? w->role->name : "?";
		if (ri + 1 > r->nroles)
			r->nroles = ri + 1;
	}

	r->have_stats = stats;
	r->nlocks = 0;
	r->ncaches = 0;
	r->have_mmu = false;
	if (!stats)
		return;

	{
		struct hatstats hs;

		memset(&hs, 0, sizeof (hs));
		vt_hatstats_sum(&hs);
		for (int i = 0; i < VT_HATSTAT_FIELDS; i++)
			r->hatstats[i] = *(const ulong_t *)(const void *)
			    ((const char *)&hs + vt_hatstat_fields[i].off);
	}
	for (struct vt_lock_class *c = vt_lockclass_first();
	    c != NULL && r->nlocks < VT_REPORT_MAX_CLASSES; c = c->lc_next) {
		struct vt_report_lock *l = &r->locks[r->nlocks++];
		struct vt_lock_stats s;

		class_stats(c, &s);
		snprintf(l->name, sizeof (l->name), "%s", c->lc_name);
		l->size = c->lc_table ? c->lc_size : 0;
		l->acquisitions = s.acquisitions;
		l->contended = s.contended;
	}
	for (kmem_cache_t *cp = vt_kmem_cache_first();
	    cp != NULL && r->ncaches < VT_REPORT_MAX_CACHES;
	    cp = cp->cache_next) {
		struct vt_report_cache *k = &r->caches[r->ncaches++];

		snprintf(k->name, sizeof (k->name), "%s", cp->cache_name);
		k->outstanding = VT_PEEK(cp->cache_outstanding);
		k->allocs = VT_PEEK(cp->cache_allocs);
		k->frees = VT_PEEK(cp->cache_frees);
		k->fails = VT_PEEK(cp->cache_fails);
	}
	if (r->cfg != NULL && r->cfg->mmu_walkers > 0) {
		struct vt_mmu_stats ms;

		memset(&ms, 0, sizeof (ms));
		vt_mmu_stats(&ms);
		r->have_mmu = true;
		r->mmu_walks = ms.walks;
		r->mmu_faults = ms.faults;
		r->mmu_cas_retries = ms.cas_retries;
	}
}

/* One summary line; a TAP comment with --tap. */
static void
line(FILE *f, bool tap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
line(FILE *f, bool tap, const char *fmt, ...)
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

void
vt_report_print(const struct vt_report *r, FILE *f)
{
	const struct vt_config *c = r->cfg;
	bool tap = c->tap;
	char cmd[2048];
	uint64_t total = 0;

	vt_config_cmdline(c, true, cmd, sizeof (cmd));
	line(f, tap, "%s", cmd);
	if (r->sc != NULL)
		line(f, tap, "scenario %s: %s", r->sc->name, r->sc->desc);
	for (uint32_t i = 0; i < r->nroles; i++)
		total += r->role_ops[i];
	line(f, tap, "ran %.2f s: %" PRIu64 " operations by %u workers "
	    "(sched %s, lock %s, hment %s)", r->seconds, total,
	    vt_config_nworkers(c), c->sched == VT_SCHED_PCT ? "pct" :
	    c->sched == VT_SCHED_RANDOM ? "random" : "free", c->lock,
	    c->hment_rev == HMENT_REV_2006_CHAIN ? "chain" : "avl");
	if (r->controlled)
		line(f, tap, "schedule: %" PRIu64 " points (%.0f/s), %" PRIu64
		    " switches (%.0f/s), %" PRIu64 " preemptions; trace hash "
		    "%016" PRIx64, r->sched_steps, rate(r->sched_steps,
		    r->seconds), r->sched_switches, rate(r->sched_switches,
		    r->seconds), r->sched_preemptions, r->trace_hash);
	if (r->controlled && c->sched == VT_SCHED_PCT)
		line(f, tap, "pct: depth %u, k %" PRIu64 "%s", c->depth,
		    r->sched_k, c->steps == 0 ? " (learned from a first run)" :
		    "");

	line(f, tap, "%-24s %14s %14s", "operations", "count", "per second");
	for (int k = 0; k < VT_NOPS; k++)
		if (r->ops[k] != 0)
			line(f, tap, "  %-22s %14" PRIu64 " %14.1f",
			    vt_op_name((enum vt_op)k), r->ops[k],
			    rate(r->ops[k], r->seconds));
	if (!c->quiet) {
		line(f, tap, "%-24s %14s %14s", "roles", "op calls",
		    "per second");
		for (uint32_t i = 0; i < r->nroles; i++) {
			char head[64];

			if (r->role_workers[i] == 0)
				continue;
			snprintf(head, sizeof (head), "%s x%u", r->role_name[i],
			    r->role_workers[i]);
			line(f, tap, "  %-22s %14" PRIu64 " %14.1f", head,
			    r->role_ops[i], rate(r->role_ops[i], r->seconds));
		}
	}
	if (r->have_stats) {
		line(f, tap, "HATSTAT");
		for (int i = 0; i < VT_HATSTAT_FIELDS; i++)
			line(f, tap, "  %-22s %14" PRIu64,
			    vt_hatstat_fields[i].name, r->hatstats[i]);
		line(f, tap, "%-24s %14s %14s", "locks", "acquisitions",
		    "contended");
		for (uint32_t i = 0; i < r->nlocks; i++) {
			const struct vt_report_lock *l = &r->locks[i];
			char head[64];

			if (l->size != 0)
				snprintf(head, sizeof (head), "%s[%u]", l->name,
				    l->size);
			else
				snprintf(head, sizeof (head), "%s", l->name);
			line(f, tap, "  %-22s %14" PRIu64 " %14" PRIu64, head,
			    l->acquisitions, l->contended);
		}
		line(f, tap, "%-24s %11s %11s %11s %11s", "kmem caches",
		    "outstanding", "allocs", "frees", "fails");
		for (uint32_t i = 0; i < r->ncaches; i++) {
			const struct vt_report_cache *k = &r->caches[i];

			line(f, tap, "  %-22s %11" PRIu64 " %11" PRIu64 " %11"
			    PRIu64 " %11" PRIu64, k->name, k->outstanding,
			    k->allocs, k->frees, k->fails);
		}
		if (r->have_mmu)
			line(f, tap, "mmu: %" PRIu64 " walks, %" PRIu64
			    " faults, %" PRIu64 " REF/MOD CAS retries",
			    r->mmu_walks, r->mmu_faults, r->mmu_cas_retries);
	} else {
		line(f, tap, "(HAT, lock and kmem counters not collected: "
		    "workers were still running)");
	}
	line(f, tap, "audits: %" PRIu64 " (last examined %" PRIu64
	    " objects)", r->audits, r->audit_objects);
	if (r->failed) {
		line(f, tap, "failure: %s: %s", r->check, r->message);
		line(f, tap, "replay: %s", r->replay);
	}
	line(f, tap, "%s", cmd);
	if (r->failed)
		line(f, tap, "RESULT: FAIL (%s)", r->check);
	else
		line(f, tap, "RESULT: PASS");
	if (tap) {
		if (r->failed)
			fprintf(f, "not ok 1 - %s seed %" PRIu64 " (%s)\n",
			    c->scenario, c->seed, r->check);
		else
			fprintf(f, "ok 1 - %s seed %" PRIu64 "\n", c->scenario,
			    c->seed);
	}
	fflush(f);
}

int
vt_report_json(const struct vt_report *r, const char *path)
{
	const struct vt_config *c = r->cfg;
	json_object *root = json_object_new_object();
	json_object *ops = json_object_new_object();
	json_object *roles = json_object_new_object();
	int rc = 0;

	json_object_object_add(root, "scenario",
	    json_object_new_string(c->scenario));
	json_object_object_add(root, "seed", json_object_new_uint64(c->seed));
	json_object_object_add(root, "config", vt_config_json(c));
	json_object_object_add(root, "result",
	    json_object_new_string(r->failed ? "fail" : "pass"));
	json_object_object_add(root, "seconds",
	    json_object_new_double(r->seconds));
	for (int k = 0; k < VT_NOPS; k++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "count",
		    json_object_new_uint64(r->ops[k]));
		json_object_object_add(o, "per_sec",
		    json_object_new_double(rate(r->ops[k], r->seconds)));
		json_object_object_add(ops, vt_op_name((enum vt_op)k), o);
	}
	json_object_object_add(root, "ops", ops);
	for (uint32_t i = 0; i < r->nroles; i++) {
		json_object *o;

		if (r->role_workers[i] == 0)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "workers",
		    json_object_new_int64(r->role_workers[i]));
		json_object_object_add(o, "count",
		    json_object_new_uint64(r->role_ops[i]));
		json_object_object_add(o, "per_sec",
		    json_object_new_double(rate(r->role_ops[i], r->seconds)));
		json_object_object_add(roles, r->role_name[i], o);
	}
	json_object_object_add(root, "roles", roles);
	if (r->have_stats) {
		json_object *st = json_object_new_object();
		json_object *locks = json_object_new_object();
		json_object *kmem = json_object_new_object();

		for (int i = 0; i < VT_HATSTAT_FIELDS; i++)
			json_object_object_add(st, vt_hatstat_fields[i].name,
			    json_object_new_uint64(r->hatstats[i]));
		if (r->have_mmu) {
			json_object_object_add(st, "mmu_walks",
			    json_object_new_uint64(r->mmu_walks));
			json_object_object_add(st, "mmu_faults",
			    json_object_new_uint64(r->mmu_faults));
			json_object_object_add(st, "mmu_cas_retries",
			    json_object_new_uint64(r->mmu_cas_retries));
		}
		for (uint32_t i = 0; i < r->nlocks; i++) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "size",
			    json_object_new_int64(r->locks[i].size ?
			    r->locks[i].size : 1));
			json_object_object_add(o, "acquisitions",
			    json_object_new_uint64(r->locks[i].acquisitions));
			json_object_object_add(o, "contended",
			    json_object_new_uint64(r->locks[i].contended));
			json_object_object_add(locks, r->locks[i].name, o);
		}
		for (uint32_t i = 0; i < r->ncaches; i++) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "outstanding",
			    json_object_new_uint64(r->caches[i].outstanding));
			json_object_object_add(o, "allocs",
			    json_object_new_uint64(r->caches[i].allocs));
			json_object_object_add(o, "frees",
			    json_object_new_uint64(r->caches[i].frees));
			json_object_object_add(o, "fails",
			    json_object_new_uint64(r->caches[i].fails));
			json_object_object_add(kmem, r->caches[i].name, o);
		}
		json_object_object_add(root, "stats", st);
		json_object_object_add(root, "locks", locks);
		json_object_object_add(root, "kmem", kmem);
	}
	json_object_object_add(root, "audits",
	    json_object_new_uint64(r->audits));
	if (r->controlled) {
		json_object *so = json_object_new_object();
		char hash[32];

		snprintf(hash, sizeof (hash), "%016" PRIx64, r->trace_hash);
		json_object_object_add(so, "steps",
		    json_object_new_uint64(r->sched_steps));
		json_object_object_add(so, "switches",
		    json_object_new_uint64(r->sched_switches));
		json_object_object_add(so, "preemptions",
		    json_object_new_uint64(r->sched_preemptions));
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
			    json_object_new_uint64(r->fail_step));
		json_object_object_add(root, "failure", fo);
	}
	if (json_object_to_file_ext(path, root, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_NOSLASHESCAPE) != 0) {
		fprintf(stderr, "vmtorture: --json %s: cannot write: %s\n", path,
		    json_util_get_last_err());
		rc = -1;
	}
	json_object_put(root);
	return (rc);
}
