/*
 * subsys.h - a kernel subsystem under test as a const ops table (the HAT,
 * later vpm and amap).  The engine, the audit driver, the report, the JSON
 * and `vmtorture list` iterate over the subsystems a scenario names; a new
 * subsystem registers its table (subsys/registry.c) and touches nothing
 * else.  A NULL entry means "nothing to do" / "not supported".
 *
 * Options: a subsystem declares its own (struct vt_param, offsets into its
 * options struct of opts_size bytes); the configuration keeps one block
 * per registered subsystem (vt_config_sub()), filled with the declared
 * defaults, then the scenario's, then the command line.
 *
 * Operation kinds: op_names[0..nops) are the subsystem's; the engine sets
 * *op_base at registration, so the subsystem records op i of a worker as
 * vt_worker_event(w, *op_base + i, ...).
 *
 * Harness code (not ported).
 */
#ifndef VT_STRESS_SUBSYS_H
#define VT_STRESS_SUBSYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "param.h"

struct vt_report;
struct vt_audit_result;
struct vt_lock_class;
struct vt_lock_stats;

/* One named invariant of a subsystem's audit (audit:<name>). */
struct vt_check {
	const char	*name;
	const char	*desc;
};

struct vt_subsys_ops {
	const char	*name;		/* "hat" */
	const char	*desc;

	/* Options. */
	const struct vt_param *params;
	uint32_t	nparams;
	size_t		opts_size;	/* <= VT_SUBSYS_OPTS_MAX */
	/*
	 * Check and resolve the options after parsing (opts is this
	 * subsystem's block of c).  0, or -1 with one line in err (exit 2).
	 */
	int	(*validate)(struct vt_config *c, void *opts, char *err,
		    size_t errlen);

	/*
	 * Boot (boot thread, subsystems in the scenario's order, before its
	 * setup) and tear down (reverse order, after its teardown).  boot
	 * returns 0, or -1 with one line in err (usage error: exit 2).
	 */
	int	(*boot)(const struct vt_config *c, char *err, size_t errlen);
	void	(*fini)(void);

	/* Roles every scenario using this subsystem offers (weight 0: asked for). */
	const struct vt_role *roles;
	uint32_t	nroles;

	/* Operation kinds, by the kernel function they call. */
	const char *const *op_names;
	uint32_t	nops;
	uint32_t	*op_base;	/* set by the engine at registration */

	/* The stop-the-world audit (world parked; takes no locks). */
	const struct vt_check *checks;
	uint32_t	nchecks;
	/*
	 * Audit everything; returns the violations found and fills r (first
	 * violated check's name and message, objects examined).
	 */
	uint32_t (*audit)(struct vt_audit_result *r);

	/*
	 * Counters and tables for the report (world stopped): calls
	 * vt_report_counter / vt_report_table / vt_report_row.
	 */
	void	(*stats)(const struct vt_config *c, struct vt_report *r);
	/* What stats() reports, for `vmtorture list` (NULL-terminated). */
	const char *const *counter_names;
	/* Add the members of a lock class not kept in a table (hat_mutex, ...). */
	void	(*lock_members)(const struct vt_lock_class *cls,
		    struct vt_lock_stats *s);
	/* A few words for the summary's first line ("hment avl"). */
	void	(*brief)(const struct vt_config *c, char *buf, size_t len);
	/* Schedule points one operation may take (controlled-mode budget). */
	uint64_t (*steps_per_op)(const struct vt_config *c);
};

/*
 * Registration (tools/ passes the tables down at start: the engine never
 * names a scenario or a subsystem).  Returns 0, or -1 (message on stderr)
 * if a table breaks a limit; sets every subsystem's *op_base.
 */
int vt_engine_register(const struct vt_scenario_ops *const *scenarios,
    const struct vt_subsys_ops *const *subsystems);
/* The registered tables (NULL-terminated). */
const struct vt_scenario_ops *const *vt_engine_scenarios(void);
const struct vt_subsys_ops *const *vt_engine_subsystems(void);
/* NULL if no registered scenario / subsystem has that name. */
const struct vt_scenario_ops *vt_scenario_find(const char *name);
const struct vt_subsys_ops *vt_subsys_find(const char *name);
/* Index of ss among the registered subsystems, or -1. */
int vt_subsys_index(const struct vt_subsys_ops *ss);
/* True if scenario sc names ss. */
bool vt_scenario_uses(const struct vt_scenario_ops *sc,
    const struct vt_subsys_ops *ss);

/* ss's options block in c (never NULL for a registered subsystem). */
void *vt_config_sub(struct vt_config *c, const struct vt_subsys_ops *ss);
const void *vt_config_sub_const(const struct vt_config *c,
    const struct vt_subsys_ops *ss);

#endif /* VT_STRESS_SUBSYS_H */
