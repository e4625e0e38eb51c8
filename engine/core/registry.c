/* registry.c: the resource registry, one row per resource family (ARN resource type,
 * events source type, lookup; see engine_kind in engine_internal.h). ARN resolution for
 * the tagging operations, tag clean-up and events use it, so a new family (snapshots,
 * parameter groups, ...) registers with one line in core/kinds.def and touches nothing else central. */
#include "engine_internal.h"

#include <string.h>

static const engine_kind *const kinds[] = {
#define ENGINE_KIND(name) &engine__kind_##name,
#include "core/kinds.def"
#undef ENGINE_KIND
};

const engine_kind *engine__kind_by_arn_type(const char *arn_type)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i]->arn_type, arn_type) == 0)
            return kinds[i];
    return NULL;
}

const char *engine__arn(engine *e, arena *a, const char *region, const char *type, const char *name)
{
    return arena_printf(a, "arn:aws:rds:%s:%s:%s:%s", region, e->cfg.account_id, type, name);
}

const char *engine__kind_arn(engine *e, arena *a, const engine_kind *k, const char *region, const char *name)
{
    return engine__arn(e, a, region, k->arn_type, name);
}

int engine__forget(engine *e, store *s, arena *a, const engine_kind *k, const char *region,
                   const char *name, rds_error *err)
{
    return store_tags_delete_all(s, engine__kind_arn(e, a, k, region, name), err);
}
