/*
 * objmap.h - an open-addressing map from a three-word key to a 32-bit
 * value, for audits: (pointer, 0, 0) keys for object identity, (hat,
 * vaddr, level) or (table, entry, 0) keys for lookups.  Memory comes from
 * malloc, never from the simulated kmem, so an audit does not disturb the
 * counters it checks.  The map only answers membership questions, so
 * nothing reported depends on heap addresses.
 *
 * Harness code (not ported).
 */
#ifndef VT_STRESS_OBJMAP_H
#define VT_STRESS_OBJMAP_H

#include <stddef.h>
#include <stdint.h>

struct vt_objmap_slot {
	uint64_t	k0, k1, k2;
	uint32_t	val;
	uint32_t	used;
};

struct vt_objmap {
	struct vt_objmap_slot *slots;
	size_t		cap;		/* power of two */
	size_t		n;
};

#define VT_OBJMAP_NONE	UINT32_MAX

/* Room for about hint keys before it grows; panics if out of memory. */
void vt_objmap_init(struct vt_objmap *m, size_t hint);
void vt_objmap_fini(struct vt_objmap *m);
/* The value stored under the key, or VT_OBJMAP_NONE. */
uint32_t vt_objmap_get(const struct vt_objmap *m, uint64_t k0, uint64_t k1,
    uint64_t k2);
/*
 * Insert key -> val unless the key is present.  Returns VT_OBJMAP_NONE if
 * the key was new, else the value already stored (which is kept).
 */
uint32_t vt_objmap_put(struct vt_objmap *m, uint64_t k0, uint64_t k1,
    uint64_t k2, uint32_t val);

#endif /* VT_STRESS_OBJMAP_H */
