/*
 * objmap.c - the audits' three-word-key map (objmap.h).
 *
 * Harness code (not ported).
 */
#include "objmap.h"

#include <stdlib.h>

#include "../core/sys.h"

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (x);
}

static size_t
key_hash(uint64_t k0, uint64_t k1, uint64_t k2)
{
	return ((size_t)mix64(k0 ^ mix64(k1 ^ mix64(k2 + 0x9e3779b97f4a7c15ULL))));
}

void
vt_objmap_init(struct vt_objmap *m, size_t hint)
{
	size_t cap = 64;

	while (cap < hint * 2)
		cap <<= 1;
	m->slots = calloc(cap, sizeof (*m->slots));
	if (m->slots == NULL)
		panic("objmap: out of memory (%zu slots)", cap);
	m->cap = cap;
	m->n = 0;
}

void
vt_objmap_fini(struct vt_objmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}

static struct vt_objmap_slot *
find_slot(struct vt_objmap_slot *slots, size_t cap, uint64_t k0, uint64_t k1,
    uint64_t k2)
{
	size_t i = key_hash(k0, k1, k2) & (cap - 1);

	for (;;) {
		struct vt_objmap_slot *s = &slots[i];

		if (!s->used || (s->k0 == k0 && s->k1 == k1 && s->k2 == k2))
			return (s);
		i = (i + 1) & (cap - 1);
	}
}

static void
grow(struct vt_objmap *m)
{
	struct vt_objmap old = *m;
	size_t i;

	vt_objmap_init(m, old.cap);
	for (i = 0; i < old.cap; i++) {
		struct vt_objmap_slot *s = &old.slots[i], *d;

		if (!s->used)
			continue;
		d = find_slot(m->slots, m->cap, s->k0, s->k1, s->k2);
		*d = *s;
		m->n++;
	}
	free(old.slots);
}

uint32_t
vt_objmap_get(const struct vt_objmap *m, uint64_t k0, uint64_t k1, uint64_t k2)
{
	struct vt_objmap_slot *s = find_slot(m->slots, m->cap, k0, k1, k2);

	return (s->used ? s->val : VT_OBJMAP_NONE);
}

uint32_t
vt_objmap_put(struct vt_objmap *m, uint64_t k0, uint64_t k1, uint64_t k2, uint32_t val)
{
	struct vt_objmap_slot *s;

	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	s = find_slot(m->slots, m->cap, k0, k1, k2);
	if (s->used)
		return (s->val);
	s->k0 = k0;
	s->k1 = k1;
	s->k2 = k2;
	s->val = val;
	s->used = 1;
	m->n++;
	return (VT_OBJMAP_NONE);
}

