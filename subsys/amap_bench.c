/*
 * amap_bench.c - `vmtorture bench amap`: what the amap port costs.
 *
 *   (a) a fork of a 64-slot amap whose 64 anons all have pages: the
 *       child's entry takes a reference (amap_ref, NEEDSCOPY), its first
 *       write fault copies the amap (amap_copy: 64 an_ref increments) and
 *       copies the page (COW: uvm_analloc, uvm_pagealloc, uvm_pagecopy,
 *       amap_add replace), then the child unmaps (amap_unref -> wipeout);
 *       ns per fork on 1 thread, and on 2 threads each forking its own
 *       parent (only the global locks are shared);
 *   (b) amap_lookups over 64 slots beside 64 amap_lookup calls.
 * Each figure is the median of BENCH_REPS repetitions; --tap prints every
 * figure as an `ok` line (speed never fails a test).
 *
 * Harness code (not ported); timing with the monotonic clock is the point.
 */
#include "amap_subsys.h"
#include "bench_fig.h"

#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/hat.h"
#include "../core/page.h"
#include "../core/uvm_amap.h"
#include "../core/uvm_anon.h"
#include "../core/uvm_map_sim.h"
#include "../locks/lockops.h"
#include "../locks/locktable.h"
#include "../stress/param.h"
#include "../stress/run.h"

#define BENCH_REPS	5
#define BENCH_PAGES	8192
#define BENCH_SLOTS	64
#define BENCH_VA	0x010000000000UL

static struct vt_bench_out out = { .bo_width = 56 };

/* One figure of this bench (three decimals). */
static void
fig(const char *name, double v, const char *unit)
{
	vt_bench_figure(&out, name, v, 3, unit);
}





/* One forking thread: its parent and child maps. */
struct forker {
	kthread_t	kt;
	cpu_t		cpu;
	struct vm_map	parent, child;
	uint64_t	belief[BENCH_SLOTS];
	uint64_t	forks;		/* own; read after join */
};

static uint32_t bench_stop;		/* relaxed atomics */
static pthread_barrier_t bench_bar;

static void
map_init(struct vm_map *m, uint32_t id)
{
	memset(m, 0, sizeof (*m));
	rw_init(&m->map_as.a_lock, "vm_map", 0, NULL);
	m->map_id = id;
	m->map_as.a_id = id;
	vm_map_lock(m);
	m->map_as.a_hat = hat_alloc(&m->map_as);
	vm_map_unlock(m);
}

static void
map_fini(struct vm_map *m)
{
	hat_t *hat = m->map_as.a_hat;

	vm_map_lock(m);
	hat_free_start(hat);
	vt_map_exit(m);
	vt_pmap_destroy(hat);
	m->map_as.a_hat = NULL;
	vm_map_unlock(m);
	rw_destroy(&m->map_as.a_lock);
}

/* The parent: one entry of 64 written pages (a 64-slot amap, 64 anons). */
static void
forker_setup(struct forker *f, uint32_t t)
{
	uint64_t got;

	map_init(&f->parent, 2 * t + 1);
	map_init(&f->child, 2 * t + 2);
	vm_map_lock(&f->parent);
	(void) vt_map_anon(&f->parent, BENCH_VA, ptoa(BENCH_SLOTS));
	for (int i = 0; i < BENCH_SLOTS; i++) {
		f->belief[i] = 0;
		VERIFY(vt_uvm_fault(&f->parent, BENCH_VA + ptoa(i),
		    VT_FAULT_WRITE, 0x100 + (uint64_t)i, &f->belief[i], true,
		    &got) == 0);
	}
	vm_map_unlock(&f->parent);
}

/* fork, the child's first write (amap_copy + COW), the child's exit. */
static void
fork_once(struct forker *f, uint64_t k)
{
	struct vm_map_entry *e;
	uint64_t b, got;
	int slot = (int)(k % BENCH_SLOTS);

	vm_map_lock(&f->parent);
	vm_map_lock(&f->child);
	e = uvm_map_lookup_entry(&f->parent, BENCH_VA);
	vt_map_fork_entry(&f->parent, e, &f->child, false);
	b = f->belief[slot];
	VERIFY(vt_uvm_fault(&f->child, BENCH_VA + ptoa(slot), VT_FAULT_WRITE,
	    k, &b, true, &got) == 0);
	uvm_unmap(&f->child, BENCH_VA, BENCH_VA + ptoa(BENCH_SLOTS));
	vm_map_unlock(&f->child);
	vm_map_unlock(&f->parent);
}

static void *
forker_main(void *arg)
{
	struct forker *f = arg;
	uint64_t k = 0;

	vt_thread_set_current(&f->kt);
	pthread_barrier_wait(&bench_bar);
	while (!VT_PEEK(bench_stop)) {
		for (int i = 0; i < 16; i++)
			fork_once(f, k++);
	}
	f->forks = k;
	return (NULL);
}

static void
bench_boot(void)
{
	struct vt_hat_params hp;

	hat_params_default(&hp);
	vt_machine_init(BENCH_PAGES, BENCH_PAGES / 64);
	vt_hatstats_init(4);
	hat_init(&hp);
	vt_amap_init(4);
	vt_uvm_init(64);
}

static void
bench_shutdown(void)
{
	vt_uvm_fini();
	vt_amap_fini();
	hat_fini();
	vt_machine_fini();
	vt_lockclass_reset();
}

/* Forks per second of nthreads forkers for secs (each its own parent). */
static double
time_forks(int nthreads, double secs)
{
	struct forker *f = calloc((size_t)nthreads, sizeof (*f));
	pthread_t th[2];
	struct timespec nap;
	uint64_t n = 0;
	double t0, t;

	VERIFY(f != NULL && nthreads <= 2);
	bench_boot();
	VT_POKE(bench_stop, 0);
	pthread_barrier_init(&bench_bar, NULL, (unsigned)nthreads + 1);
	for (int i = 0; i < nthreads; i++) {
		f[i].cpu.cpu_seqid = (uint32_t)i;
		vt_thread_init(&f[i].kt, (uint32_t)i + 1, &f[i].cpu,
		    0xa3a90000ULL + (uint64_t)i);
		forker_setup(&f[i], (uint32_t)i);
	}
	for (int i = 0; i < nthreads; i++) {
		if (pthread_create(&th[i], NULL, forker_main, &f[i]) != 0) {
			fprintf(stderr, "vmtorture: bench amap: pthread_create "
			    "failed\n");
			exit(VT_EXIT_INTERNAL);
		}
	}
	pthread_barrier_wait(&bench_bar);
	t0 = vt_bench_now_s();
	nap.tv_sec = (time_t)secs;
	nap.tv_nsec = (long)((secs - (double)nap.tv_sec) * 1e9);
	nanosleep(&nap, NULL);
	VT_POKE(bench_stop, 1);
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	t = vt_bench_now_s();
	pthread_barrier_destroy(&bench_bar);
	for (int i = 0; i < nthreads; i++) {
		n += f[i].forks;
		map_fini(&f[i].child);
		map_fini(&f[i].parent);
		vt_thread_fini(&f[i].kt);
	}
	free(f);
	bench_shutdown();
	return ((double)n / (t - t0));
}

/* ns per 64 slots: amap_lookups (batch) or 64 amap_lookup calls. */
static double
time_lookups(double secs, bool batch)
{
	struct forker f;
	struct vm_map_entry *e;
	struct vm_anon *an[BENCH_SLOTS];
	uintptr_t sink = 0;
	uint64_t n = 0;
	double t0, t;

	memset(&f, 0, sizeof (f));
	bench_boot();
	forker_setup(&f, 0);
	vm_map_lock_read(&f.parent);
	e = uvm_map_lookup_entry(&f.parent, BENCH_VA);
	amap_lock(e->aref.ar_amap);
	t0 = vt_bench_now_s();
	do {
		for (int r = 0; r < 256; r++) {
			if (batch) {
				amap_lookups(&e->aref, 0, an, BENCH_SLOTS);
				sink += (uintptr_t)an[r % BENCH_SLOTS];
			} else {
				for (int i = 0; i < BENCH_SLOTS; i++)
					sink += (uintptr_t)amap_lookup(&e->aref,
					    ptoa(i));
			}
		}
		n += 256;
	} while ((t = vt_bench_now_s()) - t0 < secs);
	amap_unlock(e->aref.ar_amap);
	vm_map_unlock(&f.parent);
	VERIFY(sink != 1);
	map_fini(&f.child);
	map_fini(&f.parent);
	bench_shutdown();
	return ((t - t0) * 1e9 / (double)n);
}

int
vt_amap_bench_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "tap", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double secs = 2.0, rep, v1[BENCH_REPS], v2[BENCH_REPS], vr[BENCH_REPS];
	double one, two, ratio, batch, each;
	int ch;

	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (vt_parse_double(optarg, &secs) != 0 || secs <= 0 ||
			    secs > 3600) {
				fprintf(stderr, "vmtorture: bench amap --seconds "
				    "%s: expected a number of seconds in (0, "
				    "3600]\n", optarg);
				return (VT_EXIT_USAGE);
			}
			break;
		case 't':
			out.bo_tap = true;
			break;
		case 'h':
			printf("usage: vmtorture bench amap [--seconds S] "
			    "[--tap]\n"
			    "What the amap port costs, each figure the median "
			    "of %d repetitions:\n"
			    "  (a) fork of a 64-slot amap + the child's first "
			    "write (amap_copy, COW) + its exit,\n"
			    "      ns per fork on 1 thread and on 2 threads;\n"
			    "  (b) amap_lookups over 64 slots beside 64 "
			    "amap_lookup calls.\n", BENCH_REPS);
			return (VT_EXIT_PASS);
		default:
			fprintf(stderr, "vmtorture: bench amap: unknown option "
			    "'%s'\n", argv[optind - 1]);
			return (VT_EXIT_USAGE);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vmtorture: bench amap: unexpected argument "
		    "'%s'\n", argv[optind]);
		return (VT_EXIT_USAGE);
	}
	rep = secs / BENCH_REPS;
	vt_lock_select(vt_lock_find("pthread"));
	if (out.bo_tap)
		printf("1..7\n");
	printf("%svmtorture bench amap --seconds %g (median of %d "
	    "repetitions)\n", out.bo_tap ? "# " : "", secs, BENCH_REPS);

	/* (a) 1 and 2 threads alternately, so drift hits both alike. */
	for (int i = 0; i < BENCH_REPS; i++) {
		v1[i] = time_forks(1, rep / 2);
		v2[i] = time_forks(2, rep / 2);
		vr[i] = v1[i] > 0 ? v2[i] / v1[i] : 0;
	}
	one = vt_bench_median(v1, BENCH_REPS);
	two = vt_bench_median(v2, BENCH_REPS);
	ratio = vt_bench_median(vr, BENCH_REPS);
	fig("fork+COW fault+exit, 64-slot amap, 1 thread", 1e9 / one,
	    "ns/fork");
	fig("same, 2 threads (per fork of one thread)", 2e9 / two,
	    "ns/fork");
	fig("2-thread / 1-thread throughput (median of ratios)", ratio,
	    "x");

	/* (b) */
	for (int i = 0; i < BENCH_REPS; i++) {
		v1[i] = time_lookups(rep / 2, true);
		v2[i] = time_lookups(rep / 2, false);
		vr[i] = v1[i] > 0 ? v2[i] / v1[i] : 0;
	}
	batch = vt_bench_median(v1, BENCH_REPS);
	each = vt_bench_median(v2, BENCH_REPS);
	fig("amap_lookups of 64 slots", batch, "ns");
	fig("64 amap_lookup calls", each, "ns");
	fig("64 amap_lookup / amap_lookups (median of ratios)",
	    vt_bench_median(vr, BENCH_REPS), "x");
	fig("forks per second, 2 threads", two, "forks/s");
	return (VT_EXIT_PASS);
}
