/*
 * vpm_bench.c - `vmtorture bench vpm [--seconds S] [--tap]`: what one
 * vpm_data_copy of one cached page costs, with the vpm cache warm and with
 * vpm_cache_enable = 0, on 1 and 2 threads (each thread reads its own
 * page, so the figures show the cache's own locking, not page-lock
 * contention).  The seed claims the cache speeds up page_lookup-heavy
 * paths; this measures it.  Medians of BENCH_REPS repetitions, measured
 * side by side in one run.
 *
 * Harness code (not ported); timing with the monotonic clock is the point.
 */
#include "vpm_subsys.h"
#include "bench_fig.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/pagecache.h"
#include "../core/vpm.h"
#include "../locks/lockops.h"
#include "../stress/param.h"
#include "../stress/run.h"

#define BENCH_REPS	5



struct reader {
	kthread_t	kt;
	cpu_t		cpu;
	uint32_t	t;
	double		secs;
	uint64_t	calls;
	double		elapsed;
	uint8_t		buf[MMU_PAGESIZE];
};

static pthread_barrier_t bar;

/* One page, fetch path, S_READ: the read(2) path of a cached file. */
static void
read_once(struct reader *r)
{
	vnode_t *vp = vt_vpm_world.vw_files[0].vf_vp;
	struct iovec iov = { (caddr_t)r->buf, MMU_PAGESIZE };
	uio_t uio = { &iov, 1, (u_offset_t)r->t << PAGESHIFT,
	    (ssize_t)MMU_PAGESIZE };

	if (vpm_data_copy(vp, (u_offset_t)r->t << PAGESHIFT, MMU_PAGESIZE,
	    &uio, 1, NULL, 0, S_READ) != 0)
		panic("bench vpm: vpm_data_copy failed");
}

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	double t0;

	vt_thread_set_current(&r->kt);
	read_once(r);		/* warm: the page is cached (and has a vpmap) */
	pthread_barrier_wait(&bar);
	t0 = vt_bench_now_s();
	do {
		for (int i = 0; i < 1024; i++)
			read_once(r);
		r->calls += 1024;
	} while ((r->elapsed = vt_bench_now_s() - t0) < r->secs);
	return (NULL);
}

/* ns per vpm_data_copy per thread, nthreads threads, cache on or off. */
static double
time_copy(int nthreads, int cache, double secs)
{
	struct reader *r = calloc((size_t)nthreads, sizeof (*r));
	pthread_t th[2];
	double ns = 0;

	vt_machine_init(4096, 64);
	vt_pagecache_init();
	max_ncpus = nthreads;
	vpm_enable = kpm_enable = 1;
	vpm_cache_enable = cache;
	vt_vpm_cache_pages = 64;
	vpm_nfreelist = 0;
	steals_mtbf = contend_mtbf = 0;
	vpm_init();
	vt_vpm_world_build(1, 8);
	pthread_barrier_init(&bar, NULL, (unsigned)nthreads);
	for (int i = 0; i < nthreads; i++) {
		r[i].t = (uint32_t)i;
		r[i].secs = secs;
		r[i].cpu.cpu_seqid = (uint32_t)i;
		vt_thread_init(&r[i].kt, (uint32_t)i + 1, &r[i].cpu,
		    0xbe0c0000ULL + (uint64_t)i);
		if (pthread_create(&th[i], NULL, reader_main, &r[i]) != 0) {
			fprintf(stderr, "vmtorture: bench vpm: pthread_create "
			    "failed\n");
			exit(VT_EXIT_INTERNAL);
		}
	}
	for (int i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		ns += r[i].elapsed * 1e9 / (double)r[i].calls;
		vt_thread_fini(&r[i].kt);
	}
	pthread_barrier_destroy(&bar);
	vt_vpm_world_destroy();
	vt_vpm_fini();
	vt_pagecache_fini();
	vt_machine_fini();
	free(r);
	return (ns / nthreads);
}

int
vt_vpm_bench_main(int argc, char **argv)
{
	double secs = 2.0, v[4][BENCH_REPS], med[4];
	static const char *const names[4] = {
		"vpm_data_copy 1 page, 1 thread, cache warm",
		"vpm_data_copy 1 page, 1 thread, vpm_cache_enable=0",
		"vpm_data_copy 1 page, 2 threads, cache warm",
		"vpm_data_copy 1 page, 2 threads, vpm_cache_enable=0",
	};
	bool tap = false;
	struct vt_bench_out out = { .bo_width = 56 };

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--tap") == 0) {
			tap = true;
		} else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
			if (vt_parse_double(argv[++i], &secs) != 0 ||
			    secs <= 0 || secs > 3600) {
				fprintf(stderr, "vmtorture: bench vpm --seconds "
				    "%s: expected a number of seconds in (0, "
				    "3600]\n", argv[i]);
				return (VT_EXIT_USAGE);
			}
		} else {
			fprintf(stderr, "vmtorture: bench vpm: unknown option "
			    "'%s' (--seconds S, --tap)\n", argv[i]);
			return (VT_EXIT_USAGE);
		}
	}
	vt_lock_select(vt_lock_find("pthread"));
	/* Interleave the four configurations so drift hits them alike. */
	for (int k = 0; k < BENCH_REPS; k++)
		for (int f = 0; f < 4; f++)
			v[f][k] = time_copy(f < 2 ? 1 : 2, !(f & 1),
			    secs / (4 * BENCH_REPS));
	if (tap)
		printf("1..6\n");
	printf("%svmtorture bench vpm --seconds %g (lock pthread, median of "
	    "%d, ns per call per thread)\n", tap ? "# " : "", secs,
	    BENCH_REPS);
	out.bo_tap = tap;
	for (int f = 0; f < 4; f++) {
		med[f] = vt_bench_median(v[f], BENCH_REPS);
		vt_bench_figure(&out, names[f], med[f], 1, "ns");
	}
	vt_bench_figure(&out, "ratio warm/off, 1 thread", med[0] / med[1], 3,
	    "");
	vt_bench_figure(&out, "ratio warm/off, 2 threads", med[2] / med[3], 3,
	    "");
	return (0);
}
