/* api_model.c: lookups over the generated service model (server/generated/rds_model.c). */
#include "api_model.h"

#include <stdlib.h>
#include <string.h>

static int op_cmp(const void *key, const void *elem)
{
    const char *name = key;
    const api_operation *op = elem;
    return strcmp(name, op->name);
}

const api_operation *api_find_operation(const api_service *svc, const char *name)
{
    if (!svc || !name || !svc->ops || svc->n_ops == 0) return NULL;
    return bsearch(name, svc->ops, svc->n_ops, sizeof svc->ops[0], op_cmp);
}

const char *api_member_wire_name(const api_member *m)
{
    if (!m) return NULL;
    return m->location_name ? m->location_name : m->name;
}

const api_member *api_find_member(const api_shape *s, const char *wire_name)
{
    if (!s || !wire_name || s->type != AT_STRUCTURE) return NULL;
    for (size_t i = 0; i < s->n_members; i++)
        if (strcmp(api_member_wire_name(&s->members[i]), wire_name) == 0) return &s->members[i];
    return NULL;
}
