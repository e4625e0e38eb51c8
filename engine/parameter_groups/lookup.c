/* lookup.c: the effective value of one parameter for an instance, for the engine's other
 * families (log retention, force_ssl, ...). Until parameter groups are stored, every
 * instance runs with the engine defaults, and this answers NULL ("use your default"). */
#include "engine_internal.h"

const char *engine__instance_param(engine *e, store *s, arena *a, const db_instance *d, const char *name)
{
    (void)e;
    (void)s;
    (void)a;
    (void)d;
    (void)name;
    return NULL;
}
