/*
 * hat_bench.c - `vmtorture bench`: what the port's locking costs.
 *
 *   (a) uncontended mutex_enter+mutex_exit of the back end, plain
 *       pthread calls (before and after the process's first thread), and
 *       one CAS; all but that first plain loop run multi-threaded;
 *   (b) one hat_memload+hat_unload pair on one thread, the lock
 *       acquisitions and kernel atomics per pair, the "lock floor"
 *       (acq/pair * mutex cost + atomics/pair * CAS cost) and pair/floor;
 *   (c) two threads mapping and unmapping their own VAs of shared pages in
 *       one hat, with 2048-entry lock tables and with 1-entry tables, and
 *       the same in two hats (no shared hat_pages_mapped[]);
 *   (d) what --lockstat costs: the pair of (b) with every mutex timed
 *       beside the same without, repetitions interleaved;
 *   (e) --htable-lookup rcu against the kernel's bucket mutex: the pair of
 *       (b) and the two threads of (c), repetitions interleaved.
 * Where a machine is shared, wall time includes the time a thread waited
 * for a CPU: the CPU-time figures (each thread's own clock) and the
 * threads' CPU time over wall time say how much of a two-thread figure
 * measured the scheduler rather than the code.
 * Each figure is the median of BENCH_REPS repetitions.  With --tap every
 * figure is an `ok` line: speed never fails a test (shared, noisy machines).
 *
 * Harness code (not ported); timing with the monotonic clock is the point
 * of this file.
 */
#include "hat_subsys.h"

#include "amap_subsys.h"
#include "vpm_subsys.h"
#include "bench_fig.h"

#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/hat.h"
#include "../core/page.h"
#include "../core/sys.h"
#include "../locks/atomic.h"
#include "../locks/kmutex.h"
#include "../locks/lockops.h"
#include "../locks/lockstat.h"
#include "../locks/locktable.h"
#include "../locks/sched_point.h"
#include "../stress/param.h"
#include "../stress/run.h"

#if defined(VT_TSAN)
extern const int vt_tsan_options_anchor;
const int *vt_bench_tsan_anchor = &vt_tsan_options_anchor;
#endif

#define BENCH_REPS	5
#define BENCH_PAGES	4096
#define BENCH_NDATA	16		/* data pages; in (c) each thread maps its own half */
#define BENCH_NVA	8		/* VAs cycled per thread */
#define BENCH_VA	0x100000000UL	/* first leaf table used */
#define BENCH_SEG	(2UL << 20)	/* one leaf table's reach */
/*
 * Distance of thread t's leaf table from thread 0's.  Adjacent 2 MiB tables
 * hash to adjacent htable buckets, whose mutexes share a cache line (with
 * the kernel's 8-byte kmutex_t eight buckets would); a multiple of the
 * hat's bucket count would put both in one bucket.  8 tables apart: own
 * bucket, own mutex, own line.
 */
#define BENCH_GAP	(8 * BENCH_SEG)




/* ---- output ---- */

static struct vt_bench_out out = { .bo_width = 52 };

/* One figure of this bench (three decimals). */
static void
fig(const char *name, double v, const char *unit)
{
	vt_bench_figure(&out, name, v, 3, unit);
}


/* ---- (a) primitives ---- */

/*
 * Uncontended lock+unlock: through kmutex (mutex_enter/mutex_exit), or
 * bare (the back end's own lock/unlock through its ops table).
 */
static double
time_lock(double secs, bool bare)
{
	const struct vt_lock_ops *ops = vt_lock_ops;
	kmutex_t m;
	uint64_t n = 0;
	double t0, t;

	mutex_init(&m, NULL, MUTEX_DEFAULT, NULL);
	t0 = vt_bench_now_s();
	do {
		for (int i = 0; i < 4096; i++) {
			if (bare) {
				(void) ops->lock(&m);
				ops->unlock(&m);
			} else {
				mutex_enter(&m);
				mutex_exit(&m);
			}
		}
		n += 4096;
	} while ((t = vt_bench_now_s()) - t0 < secs);
	mutex_destroy(&m);
	return ((t - t0) * 1e9 / (double)n);
}

/*
 * The same as a plain loop of direct pthread_mutex_lock/unlock calls: the
 * floor under both (no ops table, no try-first, no kmutex bookkeeping).
 */
static double
time_plain(double secs)
{
	pthread_mutex_t pm = PTHREAD_MUTEX_INITIALIZER;
	uint64_t n = 0;
	double t0, t;

	t0 = vt_bench_now_s();
	do {
		for (int i = 0; i < 4096; i++) {
			(void) pthread_mutex_lock(&pm);
			(void) pthread_mutex_unlock(&pm);
		}
		n += 4096;
	} while ((t = vt_bench_now_s()) - t0 < secs);
	(void) pthread_mutex_destroy(&pm);
	return ((t - t0) * 1e9 / (double)n);
}

static double
time_cas(double secs)
{
	static volatile uint64_t word;
	uint64_t n = 0, v = word;
	double t0, t;

	t0 = vt_bench_now_s();
	do {
		for (int i = 0; i < 4096; i++) {
			v = atomic_cas_64(&word, v, v + 1) + 1;
		}
		n += 4096;
	} while ((t = vt_bench_now_s()) - t0 < secs);
	return ((t - t0) * 1e9 / (double)n);
}

static void *
noop_main(void *arg)
{
	return (arg);
}

/*
 * Creates and joins one thread, so glibc's single-threaded shortcuts end
 * (for good) as they have in every vmtorture run before its workers map a
 * page.
 */
static void
become_multithreaded(void)
{
	pthread_t th;

	if (pthread_create(&th, NULL, noop_main, NULL) != 0) {
		fprintf(stderr, "vmtorture: bench: pthread_create failed\n");
		exit(VT_EXIT_INTERNAL);
	}
	(void) pthread_join(th, NULL);
}

/* ---- the machine for (b) and (c) ---- */

static struct as bench_as;
static hat_t *bench_hat;
/* A second process: thread 1's hat in the two-hat variant of (c). */
static struct as bench_as2;
static hat_t *bench_hat2;
static bool duo_two_hats;	/* set between duo runs only */
static bool bench_rcu;		/* (e): boot with --htable-lookup rcu */
static page_t *bench_page[BENCH_NDATA];
static page_t *bench_anchor;

/*
 * A bench process: as initialised, its hat allocated (returned).  Takes
 * and drops as's a_lock.
 */
static hat_t *
as_create(struct as *as, const char *name, uint32_t id)
{
	memset(as, 0, sizeof (*as));
	rw_init(&as->a_lock, name, 0, NULL);
	as->a_id = id;
	rw_enter(&as->a_lock, RW_WRITER);
	as->a_hat = hat_alloc(as);
	rw_exit(&as->a_lock);
	return (as->a_hat);
}

/*
 * Tears down as_create()'s process and its mappings.  Takes and drops
 * a_lock.
 */
static void
as_destroy(struct as *as)
{
	rw_enter(&as->a_lock, RW_WRITER);
	hat_free_start(as->a_hat);
	hat_unload(as->a_hat, (caddr_t)BENCH_VA, BENCH_GAP + BENCH_SEG,
	    HAT_UNLOAD_UNMAP);
	hat_free_end(as->a_hat);
	as->a_hat = NULL;
	rw_exit(&as->a_lock);
	rw_destroy(&as->a_lock);
}

/*
 * Boots the bench machine; lockstat: every mutex gets a --lockstat record,
 * timing one hold in hold_every.
 */
static void
bench_boot_ls(uint32_t table_size, bool lockstat, uint64_t hold_every)
{
	struct vt_hat_params hp;

	vt_lockstat_enabled = lockstat;
	vt_lockstat_hold_mask = hold_every - 1;
	vt_lockstat_begin();

	vt_htable_rcu = bench_rcu;
	hat_params_default(&hp);
	hp.mlist_locks = table_size;
	hp.hash_locks = table_size;
	hp.htable_locks = table_size;

	vt_machine_init(BENCH_PAGES, BENCH_PAGES / 64);
	vt_hatstats_init(3);
	hat_init(&hp);
	bench_hat = as_create(&bench_as, "bench as", 1);
	bench_hat2 = as_create(&bench_as2, "bench as2", 2);
	for (int i = 0; i < BENCH_NDATA; i++) {
		bench_page[i] = vt_frame_alloc(VT_FRAME_DATA);
		VERIFY(bench_page[i] != NULL);
	}
	bench_anchor = vt_frame_alloc(VT_FRAME_DATA);
	VERIFY(bench_anchor != NULL);
	/*
	 * An anchor mapping at the last entry of each leaf table used keeps
	 * the table (and its parents) alive while the timed pairs empty and
	 * refill the other entries.
	 */
	rw_enter(&bench_as.a_lock, RW_READER);
	for (int t = 0; t < 2; t++)
		hat_memload(bench_hat, (caddr_t)(BENCH_VA + t * BENCH_GAP +
		    BENCH_SEG - MMU_PAGESIZE), bench_anchor,
		    PROT_READ | PROT_WRITE | PROT_USER, HAT_LOAD);
	rw_exit(&bench_as.a_lock);
	rw_enter(&bench_as2.a_lock, RW_READER);
	hat_memload(bench_hat2, (caddr_t)(BENCH_VA + BENCH_GAP + BENCH_SEG -
	    MMU_PAGESIZE), bench_anchor, PROT_READ | PROT_WRITE | PROT_USER,
	    HAT_LOAD);
	rw_exit(&bench_as2.a_lock);
}

static void
bench_boot(uint32_t table_size, bool lockstat)
{
	bench_boot_ls(table_size, lockstat, 1);
}

static void
bench_shutdown(void)
{
	as_destroy(&bench_as);
	as_destroy(&bench_as2);
	for (int i = 0; i < BENCH_NDATA; i++)
		vt_frame_free(bench_page[i]);
	vt_frame_free(bench_anchor);
	hat_fini();
	vt_machine_fini();
	vt_lockclass_reset();
	vt_lockstat_enabled = false;
}

/*
 * Sum of every lock class's acquisitions, or contended acquisitions
 * (single-threaded moments only).
 */
static uint64_t
lock_count(bool contended)
{
	const kmutex_t *singles[] = { &hat_list_lock, &bench_hat->hat_mutex,
	    &bench_hat2->hat_mutex, kas.a_hat != NULL ? &kas.a_hat->hat_mutex : NULL };
	uint64_t sum = 0;

	for (struct vt_lock_class *c = vt_lockclass_first(); c != NULL;
	    c = c->lc_next) {
		struct vt_lock_stats s;

		vt_locktable_stats(c, &s);
		if (c->lc_locks == NULL)
			for (size_t i = 0; i < sizeof (singles) /
			    sizeof (singles[0]); i++)
				if (singles[i] != NULL && singles[i]->m_class == c)
					vt_lockclass_add(&s, singles[i]);
		sum += contended ? s.contended : s.acquisitions;
	}
	return (sum);
}

static uint64_t
lock_acquisitions(void)
{
	return (lock_count(false));
}

/* The calling thread's CPU time in seconds. */
static double
thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
}

/* CPU ns per pair of the last time_pairs() (immune to being descheduled). */
static double pairs_cpu_ns;

/* (b): ns per pair on the calling (boot) thread, one data page. */
static double
time_pairs(double secs)
{
	uint64_t n = 0;
	double t0, t, c0;

	rw_enter(&bench_as.a_lock, RW_READER);
	c0 = thread_cpu_s();
	t0 = vt_bench_now_s();
	do {
		for (int i = 0; i < 256; i++) {
			caddr_t va = (caddr_t)(BENCH_VA + (n + (uint64_t)i) %
			    BENCH_NVA * MMU_PAGESIZE);

			hat_memload(bench_hat, va, bench_page[0],
			    PROT_READ | PROT_WRITE | PROT_USER, HAT_LOAD);
			hat_unload(bench_hat, va, MMU_PAGESIZE, HAT_UNLOAD);
		}
		n += 256;
	} while ((t = vt_bench_now_s()) - t0 < secs);
	pairs_cpu_ns = (thread_cpu_s() - c0) * 1e9 / (double)n;
	rw_exit(&bench_as.a_lock);
	return ((t - t0) * 1e9 / (double)n);
}

static uint64_t counted_atomics;

static void
count_hook(enum vt_sp_kind kind, const void *obj, const void *pc)
{
	(void) obj;
	(void) pc;
	if (kind == VT_SP_ATOMIC)
		counted_atomics++;
}

/* ---- (c) two threads ---- */

struct duo {
	kthread_t	kt;
	cpu_t		cpu;
	int		t;
	uint64_t	pairs;		/* own; read after join */
	double		cpu_s;		/* the thread's CPU time in the loop; own */
};

/* What one two-thread measurement saw. */
struct duo_result {
	double		pairs_per_s;	/* wall */
	double		cpu_ns;		/* CPU ns per pair (both threads' CPU time) */
	double		oncpu;		/* CPU time / (2 x wall) */
	double		contended_k;	/* contended acquisitions per 1000 pairs */
};

static uint32_t duo_stop;		/* relaxed atomics */
static pthread_barrier_t duo_bar;

static void *
duo_main(void *arg)
{
	struct duo *d = arg;
	struct as *as = duo_two_hats && d->t == 1 ? &bench_as2 : &bench_as;
	hat_t *hat = as->a_hat;
	uint64_t k = 0;
	double c0;

	vt_thread_set_current(&d->kt);
	rw_enter(&as->a_lock, RW_READER);
	pthread_barrier_wait(&duo_bar);
	c0 = thread_cpu_s();
	while (!VT_PEEK(duo_stop)) {
		for (int i = 0; i < 64; i++, k++) {
			caddr_t va = (caddr_t)(BENCH_VA + d->t * BENCH_GAP +
			    (k % BENCH_NVA) * MMU_PAGESIZE);
			page_t *pp = bench_page[(uint64_t)d->t *
			    (BENCH_NDATA / 2) + k % (BENCH_NDATA / 2)];

			hat_memload(hat, va, pp,
			    PROT_READ | PROT_WRITE | PROT_USER, HAT_LOAD);
			hat_unload(hat, va, MMU_PAGESIZE, HAT_UNLOAD);
		}
	}
	d->cpu_s = thread_cpu_s() - c0;
	d->pairs = k;
	rw_exit(&as->a_lock);
	return (NULL);
}

/* Two threads for secs: pairs per second, CPU per pair, contention. */
static struct duo_result
time_duo(double secs)
{
	struct duo d[2];
	pthread_t th[2];
	struct timespec nap;
	struct duo_result res;
	double t0, t;
	uint64_t c0 = lock_count(true), pairs;

	memset(d, 0, sizeof (d));
	VT_POKE(duo_stop, 0);
	pthread_barrier_init(&duo_bar, NULL, 3);
	for (int i = 0; i < 2; i++) {
		d[i].t = i;
		d[i].cpu.cpu_seqid = (uint32_t)i;
		vt_thread_init(&d[i].kt, (uint32_t)i + 1, &d[i].cpu,
		    0x5eed0000ULL + (uint64_t)i);
		if (pthread_create(&th[i], NULL, duo_main, &d[i]) != 0) {
			fprintf(stderr, "vmtorture: bench: pthread_create "
			    "failed\n");
			exit(VT_EXIT_INTERNAL);
		}
	}
	pthread_barrier_wait(&duo_bar);
	t0 = vt_bench_now_s();
	nap.tv_sec = (time_t)secs;
	nap.tv_nsec = (long)((secs - (double)nap.tv_sec) * 1e9);
	nanosleep(&nap, NULL);
	VT_POKE(duo_stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	t = vt_bench_now_s();
	pthread_barrier_destroy(&duo_bar);
	for (int i = 0; i < 2; i++)
		vt_thread_fini(&d[i].kt);
	pairs = d[0].pairs + d[1].pairs;
	res.pairs_per_s = (double)pairs / (t - t0);
	res.cpu_ns = pairs ? (d[0].cpu_s + d[1].cpu_s) * 1e9 / (double)pairs : 0;
	res.oncpu = (d[0].cpu_s + d[1].cpu_s) / (2 * (t - t0));
	res.contended_k = pairs ? (double)(lock_count(true) - c0) * 1000 /
	    (double)pairs : 0;
	return (res);
}

/* ---- main ---- */

int
vt_bench_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "lock", required_argument, NULL, 'l' },
		{ "tap", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct vt_lock_ops *ops = vt_lock_find("pthread");
	double secs = 2.0, rep, v[BENCH_REPS];
	double vcpu[BENCH_REPS], pair_cpu_ns;
	double mutex_ns, bare_ns, plain_ns, cas_ns, pair_ns, acq, atom,
	    floor_ns, wide, narrow, bare_floor_ns, plain_floor_ns, ratio, plain1_ns;
	uint64_t a0, npairs = 20000;
	char name[128];
	int ch;

	/* `vmtorture bench amap ...`: the amap port's figures (amap_bench.c). */
	if (argc > 1 && strcmp(argv[1], "amap") == 0)
		return (vt_amap_bench_main(argc - 1, argv + 1));
	/* `vmtorture bench vpm ...`: the vpm figures (vpm_bench.c). */
	if (argc > 1 && strcmp(argv[1], "vpm") == 0)
		return (vt_vpm_bench_main(argc - 1, argv + 1));
	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (vt_parse_double(optarg, &secs) != 0 || secs <= 0 ||
			    secs > 3600) {
				fprintf(stderr, "vmtorture: bench --seconds %s: "
				    "expected a number of seconds in (0, 3600]\n",
				    optarg);
				return (VT_EXIT_USAGE);
			}
			break;
		case 'l':
			ops = vt_lock_find(optarg);
			if (ops == NULL) {
				fprintf(stderr, "vmtorture: bench --lock %s: "
				    "unknown lock back end\n", optarg);
				return (VT_EXIT_USAGE);
			}
			break;
		case 't':
			out.bo_tap = true;
			break;
		case 'h':
			printf("usage: vmtorture bench [--seconds S] "
			    "[--lock NAME] [--tap]\n"
			    "What the port's locking costs, each figure the "
			    "median of %d repetitions:\n"
			    "  (a) uncontended mutex_enter+mutex_exit of the back "
			    "end (kmutex layer and bare), one CAS;\n"
			    "  (b) one hat_memload+hat_unload pair on one thread "
			    "beside its lock floor;\n"
			    "  (c) two threads mapping and unmapping in one hat, "
			    "2048-entry over 1-entry lock tables;\n"
			    "  (d) the pair of (b) with --lockstat on over off;\n"
			    "  (e) (b) and (c) with --htable-lookup rcu over the "
			    "bucket mutex.\n"
			    "  --seconds S   measuring time of each figure, "
			    "(0, 3600] [2]\n"
			    "  --lock NAME   lock back end [pthread]\n"
			    "  --tap         every figure as a TAP `ok` line (the "
			    "bench suite)\n", BENCH_REPS);
			return (VT_EXIT_PASS);
		case ':':
			fprintf(stderr, "vmtorture: bench %s: missing argument\n",
			    argv[optind - 1]);
			return (VT_EXIT_USAGE);
		default:
			fprintf(stderr, "vmtorture: bench: unknown option '%s'\n",
			    argv[optind - 1]);
			return (VT_EXIT_USAGE);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vmtorture: bench: unexpected argument '%s'\n",
		    argv[optind]);
		return (VT_EXIT_USAGE);
	}
	if (ops->broken) {
		fprintf(stderr, "vmtorture: bench --lock %s: the back end gives "
		    "no mutual exclusion; nothing to measure\n", ops->name);
		return (VT_EXIT_USAGE);
	}
	rep = secs / BENCH_REPS;
	vt_lock_select(ops);

	if (out.bo_tap)
		printf("1..44\n");
	printf("%svmtorture bench --seconds %g --lock %s (median of %d "
	    "repetitions)\n", out.bo_tap ? "# " : "", secs, ops->name, BENCH_REPS);

	/*
	 * (a) glibc (2.36 here) skips the atomic in pthread_mutex_lock/unlock
	 * while the process has never created a thread; every vmtorture run
	 * has worker threads, so the floor that applies is the loop measured
	 * after one thread has been created.  The single-threaded loop is
	 * printed beside it for comparison; everything else runs
	 * multi-threaded.
	 */
	for (int i = 0; i < BENCH_REPS; i++)
		v[i] = time_plain(rep);
	plain1_ns = vt_bench_median(v, BENCH_REPS);
	become_multithreaded();
	for (int i = 0; i < BENCH_REPS; i++)
		v[i] = time_lock(rep, false);
	mutex_ns = vt_bench_median(v, BENCH_REPS);
	snprintf(name, sizeof (name), "uncontended mutex_enter+mutex_exit "
	    "(%s)", ops->name);
	fig(name, mutex_ns, "ns");
	for (int i = 0; i < BENCH_REPS; i++)
		v[i] = time_lock(rep, true);
	bare_ns = vt_bench_median(v, BENCH_REPS);
	snprintf(name, sizeof (name), "bare back end lock+unlock (%s)",
	    ops->name);
	fig(name, bare_ns, "ns");
	for (int i = 0; i < BENCH_REPS; i++)
		v[i] = time_plain(rep);
	plain_ns = vt_bench_median(v, BENCH_REPS);
	fig("plain lock+unlock before any thread (glibc skips atomics)",
	    plain1_ns, "ns");
	fig("plain pthread_mutex_lock+unlock loop (direct calls)",
	    plain_ns, "ns");
	fig("back end's own cost over plain (ops table, try first)",
	    bare_ns - plain_ns, "ns");
	fig("kmutex layer over the back end (owner, counts, held "
	    "stack, hooks)", mutex_ns - bare_ns, "ns");
	for (int i = 0; i < BENCH_REPS; i++)
		v[i] = time_cas(rep);
	cas_ns = vt_bench_median(v, BENCH_REPS);
	fig("atomic_cas_64", cas_ns, "ns");

	/* (b) */
	bench_boot(2048, false);
	(void) time_pairs(rep / 4);	/* warm: tables exist, caches hot */
	rw_enter(&bench_as.a_lock, RW_READER);
	vt_sched_hook = count_hook;
	counted_atomics = 0;
	a0 = lock_acquisitions();
	for (uint64_t k = 0; k < npairs; k++) {
		caddr_t va = (caddr_t)(BENCH_VA + k % BENCH_NVA * MMU_PAGESIZE);

		hat_memload(bench_hat, va, bench_page[0],
		    PROT_READ | PROT_WRITE | PROT_USER, HAT_LOAD);
		hat_unload(bench_hat, va, MMU_PAGESIZE, HAT_UNLOAD);
	}
	acq = (double)(lock_acquisitions() - a0) / (double)npairs;
	vt_sched_hook = NULL;
	atom = (double)counted_atomics / (double)npairs;
	rw_exit(&bench_as.a_lock);
	for (int i = 0; i < BENCH_REPS; i++) {
		v[i] = time_pairs(rep);
		vcpu[i] = pairs_cpu_ns;
	}
	pair_ns = vt_bench_median(v, BENCH_REPS);
	pair_cpu_ns = vt_bench_median(vcpu, BENCH_REPS);
	floor_ns = acq * mutex_ns + atom * cas_ns;
	fig("hat_memload+hat_unload pair, 1 thread", pair_ns, "ns");
	fig("the same in CPU time (the thread's own clock)", pair_cpu_ns,
	    "ns");
	fig("lock acquisitions per pair", acq, "");
	fig("kernel atomics (CAS etc.) per pair", atom, "");
	fig("lock floor per pair (acq*mutex + atomics*CAS)", floor_ns, "ns");
	fig("pair / lock floor (target <= 3)", floor_ns > 0 ?
	    pair_ns / floor_ns : 0, "x");
	bare_floor_ns = acq * bare_ns + atom * cas_ns;
	fig("floor with the bare back end (acq*bare + atomics*CAS)",
	    bare_floor_ns, "ns");
	fig("pair / bare floor", bare_floor_ns > 0 ?
	    pair_ns / bare_floor_ns : 0, "x");
	plain_floor_ns = acq * plain_ns + atom * cas_ns;
	fig("floor with plain calls (acq*plain + atomics*CAS)",
	    plain_floor_ns, "ns");
	fig("pair / plain floor (target <= 2)", plain_floor_ns > 0 ?
	    pair_ns / plain_floor_ns : 0, "x");
	fig("pair / plain floor before any thread (no run's state)",
	    pair_ns / (acq * plain1_ns + atom * cas_ns), "x");
	bench_shutdown();

	/*
	 * (c) Alternate the two table sizes repetition by repetition, so
	 * drift on a shared machine hits both alike; the ratio is the
	 * median of the per-repetition ratios.
	 */
	{
		double vw[BENCH_REPS], vn[BENCH_REPS], vr[BENCH_REPS];
		double cw[BENCH_REPS], cn[BENCH_REPS], kw[BENCH_REPS],
		    kn[BENCH_REPS], ow[BENCH_REPS], v2[BENCH_REPS],
		    r2[BENCH_REPS], n2[BENCH_REPS], q2[BENCH_REPS];

		for (int i = 0; i < BENCH_REPS; i++) {
			struct duo_result w, nw;

			bench_boot(2048, false);
			w = time_duo(rep / 2);
			/* Thread 1 in a process of its own: no shared hat. */
			duo_two_hats = true;
			v2[i] = time_duo(rep / 2).pairs_per_s;
			duo_two_hats = false;
			bench_shutdown();
			bench_boot(1, false);
			nw = time_duo(rep / 2);
			duo_two_hats = true;
			n2[i] = time_duo(rep / 2).pairs_per_s;
			duo_two_hats = false;
			bench_shutdown();
			q2[i] = n2[i] > 0 ? v2[i] / n2[i] : 0;
			vw[i] = w.pairs_per_s;
			vn[i] = nw.pairs_per_s;
			vr[i] = vn[i] > 0 ? vw[i] / vn[i] : 0;
			r2[i] = vw[i] > 0 ? v2[i] / vw[i] : 0;
			cw[i] = w.cpu_ns;
			cn[i] = nw.cpu_ns;
			kw[i] = w.contended_k;
			kn[i] = nw.contended_k;
			ow[i] = w.oncpu;
		}
		wide = vt_bench_median(vw, BENCH_REPS);
		narrow = vt_bench_median(vn, BENCH_REPS);
		ratio = vt_bench_median(vr, BENCH_REPS);
		fig("2 threads, 2048-entry lock tables", wide, "pairs/s");
		fig("2 threads, 1-entry lock tables", narrow, "pairs/s");
		fig("2048-entry / 1-entry throughput (median of ratios)",
		    ratio, "x");
		fig("2 threads over 1 thread, 2048-entry (pairs/s, wall)",
		    pair_ns > 0 ? wide * pair_ns * 1e-9 : 0, "x");
		fig("2 threads, 2048-entry: CPU ns per pair", vt_bench_median(cw,
		    BENCH_REPS), "ns");
		fig("2 threads, 1-entry: CPU ns per pair", vt_bench_median(cn,
		    BENCH_REPS), "ns");
		fig("CPU per pair, 2 threads (2048) / 1 thread (1: sharing "
		    "costs nothing)", pair_cpu_ns > 0 ? vt_bench_median(cw, BENCH_REPS) /
		    pair_cpu_ns : 0, "x");
		fig("2 threads, 2048-entry: contended acquisitions per 1000 "
		    "pairs", vt_bench_median(kw, BENCH_REPS), "");
		fig("2 threads, 1-entry: contended acquisitions per 1000 "
		    "pairs", vt_bench_median(kn, BENCH_REPS), "");
		fig("2 threads, 2048-entry: threads' CPU time / wall time",
		    vt_bench_median(ow, BENCH_REPS), "");
		fig("2 threads in two hats (one each), 2048-entry",
		    vt_bench_median(v2, BENCH_REPS), "pairs/s");
		fig("two hats / one shared hat (median of ratios)",
		    vt_bench_median(r2, BENCH_REPS), "x");
		fig("2 threads in two hats over 1 thread (pairs/s, wall)",
		    pair_ns > 0 ? vt_bench_median(v2, BENCH_REPS) * pair_ns *
		    1e-9 : 0, "x");
		/* No shared hat_pages_mapped[]: what the lock tables alone do. */
		fig("2 threads in two hats, 1-entry lock tables",
		    vt_bench_median(n2, BENCH_REPS), "pairs/s");
		fig("two hats: 2048-entry / 1-entry (median of ratios)",
		    vt_bench_median(q2, BENCH_REPS), "x");
	}

	/* (d) --lockstat on and off, alternating like (c). */
	{
		double voff[BENCH_REPS], von[BENCH_REPS], vs[BENCH_REPS],
		    vr[BENCH_REPS], vrs[BENCH_REPS];

		for (int i = 0; i < BENCH_REPS; i++) {
			bench_boot(2048, false);
			(void) time_pairs(rep / 8);
			(void) time_pairs(rep / 3);
			voff[i] = pairs_cpu_ns;
			bench_shutdown();
			bench_boot_ls(2048, true, 1);
			(void) time_pairs(rep / 8);
			(void) time_pairs(rep / 3);
			von[i] = pairs_cpu_ns;
			bench_shutdown();
			bench_boot_ls(2048, true, VT_LOCKSTAT_HOLD_EVERY);
			(void) time_pairs(rep / 8);
			(void) time_pairs(rep / 3);
			vs[i] = pairs_cpu_ns;
			bench_shutdown();
			vr[i] = voff[i] > 0 ? von[i] / voff[i] : 0;
			vrs[i] = voff[i] > 0 ? vs[i] / voff[i] : 0;
		}
		fig("pair, --lockstat off (CPU ns)",
		    vt_bench_median(voff, BENCH_REPS), "ns");
		fig("pair, --lockstat --lockstat-hold-every 1 (CPU ns)",
		    vt_bench_median(von, BENCH_REPS), "ns");
		snprintf(name, sizeof (name), "pair, --lockstat (holds timed 1 in "
		    "%d, the default; CPU ns)", VT_LOCKSTAT_HOLD_EVERY);
		fig(name, vt_bench_median(vs, BENCH_REPS), "ns");
		fig("--lockstat-hold-every 1 cost: on / off (median of ratios)",
		    vt_bench_median(vr, BENCH_REPS), "x");
		fig("--lockstat cost: on / off (median of ratios, goal <= "
		    "1.10)", vt_bench_median(vrs, BENCH_REPS), "x");
	}

	/* (e) htable_lookup under RCU and under its bucket mutex, alternating. */
	{
		double pm[BENCH_REPS], pr[BENCH_REPS], rp[BENCH_REPS],
		    dm[BENCH_REPS], dr[BENCH_REPS], rd[BENCH_REPS];

		for (int i = 0; i < BENCH_REPS; i++) {
			for (int r = 0; r < 2; r++) {
				struct duo_result d;

				bench_rcu = r == 1;
				bench_boot(2048, false);
				(void) time_pairs(rep / 8);
				(void) time_pairs(rep / 4);
				d = time_duo(rep / 4);
				(r ? pr : pm)[i] = pairs_cpu_ns;
				(r ? dr : dm)[i] = d.pairs_per_s;
				bench_shutdown();
			}
			rp[i] = pm[i] > 0 ? pr[i] / pm[i] : 0;
			rd[i] = dm[i] > 0 ? dr[i] / dm[i] : 0;
		}
		bench_rcu = false;
		fig("pair, htable_lookup under its bucket mutex (CPU ns)",
		    vt_bench_median(pm, BENCH_REPS), "ns");
		fig("pair, --htable-lookup rcu (CPU ns)",
		    vt_bench_median(pr, BENCH_REPS), "ns");
		fig("pair: rcu / mutex (median of ratios)",
		    vt_bench_median(rp, BENCH_REPS), "x");
		fig("2 threads, 2048-entry, mutex lookup", vt_bench_median(dm,
		    BENCH_REPS), "pairs/s");
		fig("2 threads, 2048-entry, --htable-lookup rcu",
		    vt_bench_median(dr, BENCH_REPS), "pairs/s");
		fig("2 threads: rcu / mutex throughput (median of ratios)",
		    vt_bench_median(rd, BENCH_REPS), "x");
	}
	return (VT_EXIT_PASS);
}
