/*
 * campaign_handoff.c - a campaign's free-mode failures handed to
 * controlled mode (see campaign_state.h).
 *
 * Harness code (not ported).  A free run fixes each worker's operations
 * and faults from its seed but not the interleaving, so its replay line
 * need not fail again.  The first free failure of each cell is searched
 * for under the controlled scheduler with the same scenario, seed and
 * options: scheduler seeds 1, 2, ... up to --handoff-seeds, odd ones pct at
 * depth 3, even ones random, on at most half the jobs (one with --jobs 1
 * or 2).  The first run that fails the same check is traced and shrunk
 * (vt_shrink_config) while the budget leaves at least 10 s; its replay
 * line and the shrunk one are printed and written as a "handoff" JSON line.
 * When no schedule fails that check but some fail another (a race the
 * free run caught late, as an assertion, and the scheduler catches at the
 * lock, as a panic), the first of those is the reproducer, with a note;
 * the search then goes on for 20 more schedules only.
 */
#include "campaign_state.h"

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

static const struct cs_strategy ho_pct = { "pct:3", "pct", 3 };
static const struct cs_strategy ho_random = { "random", "random", 0 };

/*
 * The last scheduler seed h will try: --handoff-seeds, or 20 past the
 * first schedule that failed another check.
 */
static uint64_t
ho_limit(const struct cp_state *st, const struct cp_handoff *h)
{
	uint64_t lim = st->s.handoff_seeds;

	return (h->alt_seed != 0 && h->alt_seed + 20 < lim ? h->alt_seed + 20 :
	    lim);
}

void
cp_handoff_note(struct cp_state *st, int c, const struct vt_camp_run *r)
{
	struct cp_handoff *h;

	if (!st->s.handoff || st->cells[c].handoff >= 0 ||
	    st->nho >= st->ncells)
		return;
	h = &st->ho[st->nho];
	memset(h, 0, sizeof (*h));
	h->cell = c;
	h->seed = r->seed;
	h->next = 1;
	snprintf(h->check, sizeof (h->check), "%s", r->check);
	snprintf(h->free_replay, sizeof (h->free_replay), "%s", r->replay);
	st->cells[c].handoff = st->nho++;
	printf("handoff: %s seed %" PRIu64 " failed in free mode (%s): "
	    "searching schedules in controlled mode\n", st->cells[c].name,
	    r->seed, r->check);
	fflush(stdout);
}

int
cp_handoff_start(struct cp_state *st, int j)
{
	struct cp_slot *sl = &st->slots[j];
	uint64_t cap = st->s.jobs > 2 ? st->s.jobs / 2 : 1;
	int busy = 0;

	for (int i = 0; i < st->nho; i++)
		busy += st->ho[i].inflight;
	if ((uint64_t)busy >= cap)
		return (0);
	if (!st->s.have_seeds && vt_child_now() + 0.2 > st->end)
		return (0);
	for (int i = 0; i < st->nho; i++) {
		struct cp_handoff *h = &st->ho[i];
		uint64_t k;

		if (h->done || h->next > ho_limit(st, h))
			continue;
		k = h->next++;
		if (cp_cell_config(st, h->cell, h->seed, k % 2 ? &ho_pct :
		    &ho_random, k, sl->words, &sl->cfg) != 0)
			return (-1);
		sl->kind = CP_HANDOFF;
		sl->cell = h->cell;
		sl->seed = h->seed;
		sl->ho = i;
		sl->sched_seed = k;
		if (cp_start(st, j) != 0)
			return (-1);
		h->inflight++;
		return (1);
	}
	return (0);
}

static int
write_handoff(struct cp_state *st, const struct cp_handoff *h)
{
	json_object *o = json_object_new_object();
	int rc;

	json_object_object_add(o, "type", json_object_new_string("handoff"));
	json_object_object_add(o, "cell", json_object_new_string(
	    st->cells[h->cell].name));
	json_object_object_add(o, "seed", json_object_new_uint64(h->seed));
	json_object_object_add(o, "check", json_object_new_string(h->check));
	json_object_object_add(o, "free_replay", json_object_new_string(
	    h->free_replay));
	json_object_object_add(o, "schedules", json_object_new_uint64(
	    h->tried));
	json_object_object_add(o, "reproduced", json_object_new_boolean(
	    h->found));
	json_object_object_add(o, "replay", h->found ?
	    json_object_new_string(h->replay) : NULL);
	json_object_object_add(o, "shrunk", h->shrunk[0] ?
	    json_object_new_string(h->shrunk) : NULL);
	if (h->note[0])
		json_object_object_add(o, "note", json_object_new_string(
		    h->note));
	rc = fprintf(st->out, "%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) < 0 ||
	    fflush(st->out) != 0 ? -1 : 0;
	json_object_put(o);
	return (rc);
}

/* Trace and shrink the reproducing run of h (its configuration cfg). */
static void
shrink_found(struct cp_state *st, struct cp_handoff *h,
    const struct vt_config *cfg)
{
	char trace[PATH_MAX], sched[PATH_MAX];
	struct vt_config c = *cfg;
	int rc;

	if (!st->s.have_seeds && st->end - vt_child_now() < 10) {
		snprintf(h->note, sizeof (h->note), "not shrunk: under 10 s of "
		    "the budget left");
		return;
	}
	if ((size_t)snprintf(trace, sizeof (trace), "%s.handoff%d.trace",
	    st->s.out, h->cell) >= sizeof (trace) ||
	    (size_t)snprintf(sched, sizeof (sched), "%s.handoff%d.schedule",
	    st->s.out, h->cell) >= sizeof (sched))
		return;
	fflush(stdout);
	rc = vt_shrink_config(cfg, trace, sched, "60");
	(void) unlink(trace);
	if (rc != VT_EXIT_PASS) {
		snprintf(h->note, sizeof (h->note), "shrink failed (exit %d)",
		    rc);
		return;
	}
	c.schedule = sched;
	vt_config_cmdline(&c, false, h->shrunk, sizeof (h->shrunk));
}

/* No schedule failed h's check; the first that failed another is kept. */
static int
found_other(struct cp_state *st, struct cp_handoff *h)
{
	char buf[CS_MAX_WORDS * 3][48];
	struct vt_config cfg;
	uint64_t k = h->alt_seed;

	if (cp_cell_config(st, h->cell, h->seed, k % 2 ? &ho_pct : &ho_random,
	    k, buf, &cfg) != 0)
		return (-1);
	h->found = true;
	h->found_seed = k;
	vt_config_cmdline(&cfg, false, h->replay, sizeof (h->replay));
	printf("handoff: %s seed %" PRIu64 ": no schedule of %" PRIu64 " fails "
	    "%s; scheduler seed %" PRIu64 " fails %s:\n  %s\n",
	    st->cells[h->cell].name, h->seed, h->tried, h->check, k,
	    h->alt_check, h->replay);
	fflush(stdout);
	shrink_found(st, h, &cfg);
	if (h->note[0] == '\0')
		snprintf(h->note, sizeof (h->note), "fails %s in controlled "
		    "mode (the free run: %s)", h->alt_check, h->check);
	return (write_handoff(st, h));
}

int
cp_handoff_done(struct cp_state *st, struct cp_slot *sl, int code)
{
	struct cp_handoff *h = &st->ho[sl->ho];
	struct vt_child_result res;

	h->inflight--;
	st->running--;
	if (sl->killed || h->done) {
		vt_child_cleanup(&sl->k);
		return (0);
	}
	h->tried++;
	vt_child_result(&sl->k, code, &res);
	vt_child_cleanup(&sl->k);
	if ((code == VT_EXIT_FAIL || code == VT_EXIT_HANG) &&
	    strcmp(res.check, h->check) != 0 && (h->alt_seed == 0 ||
	    sl->sched_seed < h->alt_seed)) {
		h->alt_seed = sl->sched_seed;
		snprintf(h->alt_check, sizeof (h->alt_check), "%s", res.check);
	}
	if ((code == VT_EXIT_FAIL || code == VT_EXIT_HANG) &&
	    strcmp(res.check, h->check) == 0) {
		h->found = true;
		h->done = true;
		h->found_seed = sl->sched_seed;
		vt_config_cmdline(&sl->cfg, false, h->replay,
		    sizeof (h->replay));
		/* The other schedules of this hand-off are not needed. */
		for (uint64_t j = 0; j < st->s.jobs; j++) {
			struct cp_slot *o = &st->slots[j];

			if (o->k.pid != 0 && o->kind == CP_HANDOFF &&
			    o->ho == sl->ho && !o->killed) {
				(void) kill(o->k.pid, SIGKILL);
				o->killed = true;
			}
		}
		printf("handoff: %s seed %" PRIu64 " reproduced in controlled "
		    "mode (%s) at scheduler seed %" PRIu64 ":\n  %s\n",
		    st->cells[h->cell].name, h->seed, h->check, h->found_seed,
		    h->replay);
		fflush(stdout);
		shrink_found(st, h, &sl->cfg);
		return (write_handoff(st, h));
	}
	if (h->next > ho_limit(st, h) && h->inflight == 0) {
		h->done = true;
		if (h->alt_seed != 0)
			return (found_other(st, h));
		snprintf(h->note, sizeof (h->note), "not reproduced in %" PRIu64
		    " schedules", h->tried);
		return (write_handoff(st, h));
	}
	return (0);
}

void
cp_handoff_finish(struct cp_state *st)
{
	for (int i = 0; i < st->nho; i++) {
		struct cp_handoff *h = &st->ho[i];

		if (!h->done) {
			/* The budget ended the search. */
			snprintf(h->note, sizeof (h->note), "not reproduced in %"
			    PRIu64 " schedules (the budget ended the search)",
			    h->tried);
			h->done = true;
			(void) write_handoff(st, h);
		}
		if (h->found)
			printf("handoff: %s seed %" PRIu64 " (%s): reproduced at "
			    "scheduler seed %" PRIu64 ": %s\n%s%s%s",
			    st->cells[h->cell].name, h->seed, h->check,
			    h->found_seed, h->replay, h->shrunk[0] ?
			    "  shrunk: " : "", h->shrunk, h->shrunk[0] ? "\n" :
			    "");
		else
			printf("handoff: %s seed %" PRIu64 " (%s): %s\n",
			    st->cells[h->cell].name, h->seed, h->check, h->note);
		if (h->found && h->note[0])
			printf("  (%s)\n", h->note);
	}
}
