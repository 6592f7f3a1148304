/*
 * inject.c - the bug catalogue's table (inject.h).
 */
#include "inject.h"

#include <string.h>

const struct vt_mutant_info vt_mutant_table[VT_NMUTANTS] = {
#define VT_MUTANT_ROW(id, nm, ss, fn, kd, ck, ds)	\
	[VT_MUT_##id] = { nm, ss, fn, kd, ck, ds },
	VT_MUTANTS(VT_MUTANT_ROW)
#undef VT_MUTANT_ROW
};

bool vt_injected[VT_NMUTANTS];
static unsigned inject_ticks[VT_NMUTANTS];	/* atomics */

int
vt_mutant_find(const char *name)
{
	for (int i = 0; i < VT_NMUTANTS; i++)
		if (strcmp(vt_mutant_table[i].name, name) == 0)
			return (i);
	return (-1);
}

void
vt_inject_clear(void)
{
	memset(vt_injected, 0, sizeof (vt_injected));
	for (int i = 0; i < VT_NMUTANTS; i++)
		__atomic_store_n(&inject_ticks[i], 0, __ATOMIC_RELAXED);
}

unsigned
vt_inject_tick(enum vt_mutant m)
{
	return (__atomic_add_fetch(&inject_ticks[m], 1, __ATOMIC_RELAXED));
}
