/*
 * campaign_state.h - the state of a running `vmtorture campaign`, shared
 * by its runner (campaign.c) and its free-to-controlled hand-off
 * (campaign_handoff.c).
 *
 * Harness code (not ported).  Single-threaded: everything here belongs to
 * the campaign's main thread.
 */
#ifndef VT_STRESS_CAMPAIGN_STATE_H
#define VT_STRESS_CAMPAIGN_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "campaign.h"
#include "campaign_spec.h"
#include "child.h"
#include "run.h"

struct cp_cell {
	char		name[VT_CAMP_CELL];
	uint64_t	next;		/* its next own seed index (j) */
	uint64_t	started, finished;
	double		spent;		/* child-seconds of finished runs */
	int		inflight;
	bool		stopped;	/* failed (no --keep-going) */
	uint64_t	best;		/* lowest failing seed, UINT64_MAX */
	int		handoff;	/* its hand-off, -1 none */
};

enum cp_kind { CP_RUN, CP_RECHECK, CP_HANDOFF };

struct cp_slot {
	struct vt_child	k;
	enum cp_kind	kind;
	int		cell;
	uint64_t	seed;
	bool		killed;		/* by us: not counted */
	bool		cut;		/* its timeout is the budget's end */
	/* CP_RECHECK: how the first run ended. */
	int		first_code;
	uint64_t	first_steps;
	char		first_check[64], first_hash[24];
	/* CP_HANDOFF: which one, with which scheduler seed. */
	int		ho;
	uint64_t	sched_seed;
	struct vt_config cfg;
	char		words[CS_MAX_WORDS * 3][48];
};

/* A free-mode failure searched for in controlled mode. */
struct cp_handoff {
	int		cell;
	uint64_t	seed;
	char		check[64];	/* the free run's */
	char		free_replay[VT_CAMP_REPLAY];
	uint64_t	next;		/* next scheduler seed (from 1) */
	uint64_t	tried;
	int		inflight;
	bool		done;
	bool		found;
	uint64_t	found_seed;	/* its scheduler seed */
	uint64_t	alt_seed;	/* first one failing another check, 0 */
	char		alt_check[64];
	char		replay[VT_CAMP_REPLAY];	/* the reproducing run */
	char		shrunk[VT_CAMP_REPLAY];	/* after shrink, or "" */
	char		note[256];
};

struct cp_state {
	struct cs_spec	s;
	struct cp_cell	*cells;
	int		ncells;
	struct cp_slot	slots[CS_MAX_JOBS];
	struct cp_handoff *ho;		/* at most one per cell */
	int		nho;
	struct vt_camp_agg agg;
	FILE		*out;
	char		dir[PATH_MAX];
	double		t0, end, free_secs;
	uint64_t	runs, cut, errors;
	uint64_t	rechecks, nondet;
	int		running;
};

/*
 * The configuration of cell c at seed (with strategy strat instead of the
 * cell's when not NULL, and --sched-seed sched_seed when not 0), its words
 * stored in buf.  0, or -1 after the parser's one-line message.
 */
int cp_cell_config(struct cp_state *st, int c, uint64_t seed,
    const struct cs_strategy *strat, uint64_t sched_seed, char (*buf)[48],
    struct vt_config *cfg);

/* Start slot j (index j) for the run already configured in it. */
int cp_start(struct cp_state *st, int j);

/* ---- hand-off (campaign_handoff.c) ---- */

/* Note the first free-mode failure r of cell c (a no-op when off). */
void cp_handoff_note(struct cp_state *st, int c, const struct vt_camp_run *r);

/* Start a hand-off run in free slot j if one is due: 1 started, 0 none. */
int cp_handoff_start(struct cp_state *st, int j);

/* Slot sl's hand-off run ended with code.  0, or -1 on a write error. */
int cp_handoff_done(struct cp_state *st, struct cp_slot *sl, int code);

/* Shrink the reproduced hand-offs and print them (after the campaign). */
void cp_handoff_finish(struct cp_state *st);

#endif /* VT_STRESS_CAMPAIGN_STATE_H */
