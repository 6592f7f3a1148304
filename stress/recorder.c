/*
 * recorder.c - the per-worker flight recorder: a ring of the last
 * VT_RECORDER_SIZE events of each worker, written by the worker itself with
 * relaxed atomic stores and read by a failing or watchdog thread with
 * relaxed loads while the worker may still be running (DESIGN §5).
 *
 * Harness code (not ported).  The dump uses only snprintf and write(2): it
 * runs from a panicking thread that may hold port locks, so it must take no
 * lock a worker could hold (stdio's stderr lock included).  Sites are named
 * by symbol.c, whose lock no worker takes.
 *
 * With the events the dump says where the worker is: in controlled mode its
 * last schedule point (step, kind, site); in free mode, while it waits in a
 * lock function, the line that called it.
 */
#include "engine.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "run.h"
#include "sched.h"
#include "symbol.h"
#include "../locks/atomic.h"

/*
 * Record one event.  Owner only; every store is relaxed-atomic because the
 * failure path reads the ring from another thread while this one runs.  A
 * reader may see a torn event (fields of two generations): acceptable for a
 * post-mortem, and seq tells the reader which slot is newest.
 */
void
vt_worker_event(struct vt_worker *w, uint32_t op, uint32_t hat_id,
    uint64_t va, uint64_t pfn, int64_t result)
{
	uint32_t head = w->rec_head;
	struct vt_event *e = &w->rec[head % VT_RECORDER_SIZE];

	VT_POKE(e->seq, w->nops);
	VT_POKE(e->op, op);
	VT_POKE(e->hat_id, hat_id);
	VT_POKE(e->va, va);
	VT_POKE(e->pfn, pfn);
	VT_POKE(e->result, result);
	VT_POKE(w->rec_head, head + 1);
	if (op < VT_MAX_OPS)
		VT_POKE(w->op_count[op], w->op_count[op] + 1);
}

static void
put(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, s, n);

		if (k <= 0)
			return;
		s += k;
		n -= (size_t)k;
	}
}

/* Where w is: its last schedule point, or the call it waits in. */
static void
where(int fd, const struct vt_worker *w)
{
	char line[384];
	const char *what;
	const void *pc;
	uint64_t step;
	int k = -1;

	if (vt_sched_active()) {
		if (vt_sched_last_point(w->id, &step, &what, &pc))
			k = snprintf(line, sizeof (line), "    last schedule "
			    "point: step %" PRIu64 ", %s at %s\n", step, what,
			    vt_symbol_site(pc));
	} else if (VT_PEEK(w->kt.t_wait) != NULL &&
	    (pc = VT_PEEK(w->kt.t_wait_pc)) != NULL) {
		what = VT_PEEK(w->kt.t_wait_what);
		k = snprintf(line, sizeof (line), "    waiting (%s) since the "
		    "call at %s\n", what != NULL ? what : "?",
		    vt_symbol_site(pc));
	}
	if (k > 0)
		put(fd, line, (size_t)k < sizeof (line) ? (size_t)k :
		    sizeof (line) - 1);
}

void
vt_recorder_dump(int fd, const struct vt_worker *w)
{
	uint32_t head = VT_PEEK(w->rec_head);
	uint32_t n = head < VT_RECORDER_SIZE ? head : VT_RECORDER_SIZE;
	char line[256];
	int k;

	k = snprintf(line, sizeof (line),
	    "  worker %u (%s #%u): %" PRIu64 " ops, last %u events:\n",
	    w->id, w->role != NULL ? w->role->name : "?", w->role_rank,
	    VT_PEEK(w->nops), n);
	put(fd, line, (size_t)k < sizeof (line) ? (size_t)k : sizeof (line) - 1);
	where(fd, w);
	if (n == 0)
		return;
	k = snprintf(line, sizeof (line), "    %10s  %-18s %6s %18s %10s %8s\n",
	    "seq", "op", "hat", "va", "pfn", "result");
	put(fd, line, (size_t)k);
	for (uint32_t i = head - n; i != head; i++) {
		const struct vt_event *e = &w->rec[i % VT_RECORDER_SIZE];
		uint64_t pfn = VT_PEEK(e->pfn);
		char pfnbuf[24];

		if (pfn == UINT64_MAX)
			snprintf(pfnbuf, sizeof (pfnbuf), "-");
		else
			snprintf(pfnbuf, sizeof (pfnbuf), "%" PRIu64, pfn);
		k = snprintf(line, sizeof (line),
		    "    %10" PRIu64 "  %-18s %6u %#18" PRIx64 " %10s %8" PRId64
		    "\n", VT_PEEK(e->seq), vt_op_name(VT_PEEK(e->op)),
		    VT_PEEK(e->hat_id), VT_PEEK(e->va), pfnbuf,
		    VT_PEEK(e->result));
		put(fd, line, (size_t)k < sizeof (line) ? (size_t)k :
		    sizeof (line) - 1);
	}
}
