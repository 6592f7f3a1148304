/*
 * config_impl.h - what config.c (options, parsing, validation), ini.c (INI
 * files) and cmdline.c (command lines, JSON, help) share.  Not for
 * scenarios or subsystems.
 */
#ifndef VT_STRESS_CONFIG_IMPL_H
#define VT_STRESS_CONFIG_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "param.h"

struct vt_subsys_ops;

/* The engine's own options (config.c). */
extern const struct vt_param vt_engine_params[];
extern const size_t vt_engine_nparams;

/*
 * The i-th option of a run of c's scenario: the engine's, then those of
 * each subsystem the scenario uses, in its order.  *blockp is the block
 * the descriptor's offset is in, *ssp its subsystem (NULL: the engine).
 * NULL past the end.
 */
const struct vt_param *vt_config_param_at(const struct vt_config *c,
    size_t i, const void **blockp, const struct vt_subsys_ops **ssp);

/*
 * Apply --name val (val NULL for a flag) to c: an engine or subsystem
 * option, or a role's worker count.  0, or -1 after one line on stderr
 * (where: "" or a prefix such as "FILE: [global]" for the message).
 */
int vt_config_set(struct vt_config *c, const char *name, const char *val,
    const char *where);

/* --ROLE N (r: role index); 0 or -1 (message printed). */
int vt_config_set_role(struct vt_config *c, uint32_t r, const char *val);

/* The scenario's declared configuration: defaults then sc->defaults. */
void vt_config_base(struct vt_config *c, const struct vt_scenario_ops *sc);

/* Exactly one of duration/ops in force (see config.c). */
void vt_config_bound_mode(struct vt_config *c, bool duration_given,
    bool ops_given);

/* -f FILE.ini (ini.c): 0 or -1 (message printed). */
int vt_config_load_ini(struct vt_config *c, const char *path);
/* The [global] scenario = NAME of an INI file; 0 or -1 (message printed). */
int vt_config_ini_scenario(const char *path, char *buf, size_t len);


#endif /* VT_STRESS_CONFIG_IMPL_H */
