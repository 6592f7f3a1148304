/*
 * sched_point.c - the schedule-point hook and the names of its kinds.
 *
 * Harness code (not ported).  The hook is NULL in free mode; the controlled
 * scheduler in stress/ installs one while no worker runs.
 */
#include "sched_point.h"

#include <stddef.h>

vt_sched_hook_t vt_sched_hook = (vt_sched_hook_t)0;

static const char *const sp_names[VT_SP_NKINDS] = {
	[VT_SP_LOCK]	= "lock",
	[VT_SP_TRYLOCK]	= "trylock",
	[VT_SP_UNLOCK]	= "unlock",
	[VT_SP_CV_WAIT]	= "cv_wait",
	[VT_SP_CV_WAKE]	= "cv_wake",
	[VT_SP_ATOMIC]	= "atomic",
	[VT_SP_RACY]	= "racy",
	[VT_SP_YIELD]	= "yield",
};

/* Printable name of a schedule-point kind ("?" when out of range). */
const char *
vt_sp_kind_name(enum vt_sp_kind kind)
{
	if ((unsigned)kind >= VT_SP_NKINDS || sp_names[kind] == NULL)
		return ("?");
	return (sp_names[kind]);
}
