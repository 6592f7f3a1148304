/*
 * prng.h - the project's seeded pseudo-random generators, in one place.
 *
 * splitmix64 expands a seed into state; xoshiro256** draws; xorshift128+
 * is the two-word generator in every kthread_t (t_rng: the kmem fault
 * draws, vt_thread_rand in core/machine.c).  Everything that must replay
 * from a seed (worker operations, injected faults, the controlled
 * scheduler's decisions) uses these, never the clock.
 */
#ifndef VT_LOCKS_PRNG_H
#define VT_LOCKS_PRNG_H

#include <stdint.h>

/* One splitmix64 step: advances *x, returns the next output. */
static inline uint64_t
vt_prng_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

static inline uint64_t
vt_prng_rotl(uint64_t x, int k)
{
	return ((x << k) | (x >> (64 - k)));
}

/* Fill a xoshiro256** state from seed (never all zero). */
static inline void
vt_prng_seed(uint64_t s[4], uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		s[i] = vt_prng_splitmix64(&seed);
}

/* xoshiro256**: next 64 random bits. */
static inline uint64_t
vt_prng_next(uint64_t s[4])
{
	uint64_t r = vt_prng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = vt_prng_rotl(s[3], 45);
	return (r);
}

/* Uniform in [0, n) (multiply-shift; 0 when n <= 1). */
static inline uint64_t
vt_prng_below(uint64_t s[4], uint64_t n)
{
	if (n <= 1)
		return (0);
	return ((uint64_t)(((unsigned __int128)vt_prng_next(s) * n) >> 64));
}

/*
 * xorshift128+: next 64 random bits from a two-word state, which must not
 * be all zero (it would stay zero).
 */
static inline uint64_t
vt_prng_xorshift128p(uint64_t s[2])
{
	uint64_t s1 = s[0];
	uint64_t s0 = s[1];

	s[0] = s0;
	s1 ^= s1 << 23;
	s[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
	return (s[1] + s0);
}

#endif /* VT_LOCKS_PRNG_H */
