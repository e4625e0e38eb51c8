/* common.c: parameter helpers shared by the handlers of the RDS family files (see rds.h). */
#include "rds.h"

#include <string.h>

opt_int act_opt_int(const param *in, const char *name)
{
    opt_int o = { false, 0 };
    o.set = param_int(in, name, &o.v);
    return o;
}

opt_bool act_opt_bool(const param *in, const char *name)
{
    opt_bool o = { false, false };
    o.set = param_bool(in, name, &o.v);
    return o;
}

static str_list list_of(req_ctx *rq, const param *l)
{
    str_list s = { NULL, 0 };
    if (!l)
        return s;
    s.v = arena_alloc(rq->er.a, (l->n_items + 1) * sizeof *s.v);
    for (size_t i = 0; i < l->n_items; i++)
        if (l->items[i] && l->items[i]->text)
            s.v[s.n++] = l->items[i]->text;
    return s;
}

str_list act_str_list(req_ctx *rq, const param *in, const char *name)
{
    return list_of(rq, param_get(in, name));
}

tag_list act_tags(req_ctx *rq, const param *in, const char *name)
{
    tag_list t = { NULL, 0 };
    const param *l = param_get(in, name);
    if (!l)
        return t;
    t.v = arena_alloc(rq->er.a, (l->n_items + 1) * sizeof *t.v);
    for (size_t i = 0; i < l->n_items; i++) {
        const char *k = param_str(l->items[i], RDS_M_Key);
        if (!k)
            continue;
        const char *v = param_str(l->items[i], RDS_M_Value);
        t.v[t.n].key = k;
        t.v[t.n].value = v ? v : "";
        t.n++;
    }
    return t;
}

int act_max_records(const param *in, int max, int *out, rds_error *err)
{
    int64_t v;
    if (!param_int(in, RDS_M_MaxRecords, &v)) {
        *out = max;
        return 0;
    }
    if (v < 20 || v > max)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "Invalid value %lld for MaxRecords. Must be between 20 and %d", (long long)v, max);
    *out = (int)v;
    return 0;
}

int act_filters(req_ctx *rq, const param *in, const act_filter_field *fields, size_t n_fields, void *dst,
                rds_error *err)
{
    const param *l = param_get(in, RDS_M_Filters);
    if (!l)
        return 0;
    for (size_t i = 0; i < l->n_items; i++) {
        const char *name = param_str(l->items[i], RDS_M_Name);
        str_list values = list_of(rq, param_get(l->items[i], RDS_M_Values));
        size_t f = 0;
        while (f < n_fields && strcmp(name, fields[f].name) != 0)
            f++;
        if (f == n_fields)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Unrecognized filter name: %.64s", name);
        *(str_list *)((char *)dst + fields[f].offset) = values;
        if (values.n == 0)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "The filter %s must have at least one value.",
                            name);
    }
    return 0;
}

void act_render_tags(res_out *x, const char *element, const rds_tag *tags, size_t n)
{
    res_list(x, element);
    for (size_t i = 0; i < n; i++) {
        res_struct(x, "Tag");
        res_str(x, "Key", tags[i].key);
        res_str(x, "Value", tags[i].value);
        res_close(x);
    }
    res_close(x);
}
