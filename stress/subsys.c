/*
 * subsys.c - the registered scenarios and subsystems (subsys.h) and the
 * operation-kind names over all subsystems.
 *
 * Harness code (not ported).  Registration happens once, on the main
 * thread, before any run; everything here is read-only afterwards.
 */
#include "subsys.h"

#include <stdio.h>
#include <string.h>

static const struct vt_scenario_ops *const *reg_scenarios;
static const struct vt_subsys_ops *const *reg_subsys;
static const char *op_names[VT_MAX_OPS];
static uint32_t nop_names;

int
vt_engine_register(const struct vt_scenario_ops *const *scenarios,
    const struct vt_subsys_ops *const *subsystems)
{
	uint32_t base = 0;
	int n;

	for (n = 0; subsystems[n] != NULL; n++) {
		const struct vt_subsys_ops *ss = subsystems[n];

		if (n == VT_MAX_SUBSYS || ss->opts_size > VT_SUBSYS_OPTS_MAX ||
		    base + ss->nops > VT_MAX_OPS) {
			fprintf(stderr, "vmtorture: internal error: subsystem "
			    "%s exceeds a registration limit\n", ss->name);
			return (-1);
		}
		if (ss->op_base != NULL)
			*ss->op_base = base;
		for (uint32_t i = 0; i < ss->nops; i++)
			op_names[base + i] = ss->op_names[i];
		base += ss->nops;
	}
	nop_names = base;
	reg_scenarios = scenarios;
	reg_subsys = subsystems;
	return (0);
}

const struct vt_scenario_ops *const *
vt_engine_scenarios(void)
{
	return (reg_scenarios);
}

const struct vt_subsys_ops *const *
vt_engine_subsystems(void)
{
	return (reg_subsys);
}

const struct vt_scenario_ops *
vt_scenario_find(const char *name)
{
	for (int i = 0; name != NULL && reg_scenarios != NULL &&
	    reg_scenarios[i] != NULL; i++)
		if (strcmp(reg_scenarios[i]->name, name) == 0)
			return (reg_scenarios[i]);
	return (NULL);
}

const struct vt_subsys_ops *
vt_subsys_find(const char *name)
{
	for (int i = 0; name != NULL && reg_subsys != NULL &&
	    reg_subsys[i] != NULL; i++)
		if (strcmp(reg_subsys[i]->name, name) == 0)
			return (reg_subsys[i]);
	return (NULL);
}

int
vt_subsys_index(const struct vt_subsys_ops *ss)
{
	for (int i = 0; reg_subsys != NULL && reg_subsys[i] != NULL; i++)
		if (reg_subsys[i] == ss)
			return (i);
	return (-1);
}

bool
vt_scenario_uses(const struct vt_scenario_ops *sc,
    const struct vt_subsys_ops *ss)
{
	for (int i = 0; sc->subsys != NULL && sc->subsys[i] != NULL; i++)
		if (sc->subsys[i] == ss)
			return (true);
	return (false);
}

const char *
vt_op_name(uint32_t op)
{
	return (op < nop_names && op_names[op] != NULL ? op_names[op] : "?");
}
