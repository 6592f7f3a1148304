/*
 * sched_ctl.c - the controlled scheduler's block/wake hook (see sched_ctl.h).
 */
#include "sched_ctl.h"

#include <stddef.h>

const struct vt_sched_ctl *vt_sched_ctl = NULL;
