/* catalog.c: what can be ordered: engine versions from the installed postgres majors
 * (DescribeDBEngineVersions) and the instance classes and storage types
 * (DescribeOrderableDBInstanceOptions), as plain data for the server. Any HTTP thread. */
#include "engine_internal.h"

#include <string.h>

int engine_versions(engine_req *r, const char *engine_name, const char *version, const char *family,
                    bool default_only, engine_version_view **out, size_t *n_out, rds_error *err)
{
    const sv_engine_version *v;
    size_t n = r->e->sv ? sv_engine_versions(r->e->sv, &v) : 0;
    engine_version_view *res = arena_alloc(r->a, (n + 1) * sizeof *res);
    size_t k = 0;
    if (engine_name && strcmp(engine_name, "postgres") != 0) {
        *out = res;
        *n_out = 0;
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const char *fam = arena_printf(r->a, "postgres%s", v[i].major);
        bool is_default = i == n - 1;
        if (version && strcmp(version, v[i].version) != 0 && strcmp(version, v[i].major) != 0)
            continue;
        if (family && strcmp(family, fam) != 0)
            continue;
        res[k++] = (engine_version_view){ .engine = "postgres", .version = arena_strdup(r->a, v[i].version),
                                          .major = arena_strdup(r->a, v[i].major), .family = fam,
                                          .is_default = is_default };
    }
    /* AWS DefaultOnly: "only the default version of the specified engine or the engine and
     * major version combination" -- the default among what the other filters matched, so
     * EngineVersion=15 (or DBParameterGroupFamily=postgres15) gives 15's default even when a
     * newer major is installed. The installed versions are ascending and one per major: the
     * default of a set is its newest. */
    if (default_only && k > 1) {
        res[0] = res[k - 1];
        k = 1;
    }
    (void)err;
    *out = res;
    *n_out = k;
    return 0;
}

int engine_orderable_options(engine_req *r, const char *engine_name, engine_orderable *out, rds_error *err)
{
    (void)err;
    memset(out, 0, sizeof *out);
    const rules_instance_class *classes;
    size_t nc = rules_instance_classes(engine_name ? engine_name : "postgres", &classes);
    const char **names = arena_alloc(r->a, (nc + 1) * sizeof *names);
    for (size_t i = 0; i < nc; i++)
        names[i] = classes[i].name;
    const rules_storage_limits *st;
    size_t ns = rules_storage_types(&st);
    engine_storage_option *so = arena_alloc(r->a, (ns + 1) * sizeof *so);
    for (size_t i = 0; i < ns; i++)
        so[i] = (engine_storage_option){ .type = st[i].type, .min_gib = st[i].min_gib, .max_gib = st[i].max_gib,
                                         .iops_allowed = st[i].iops_allowed, .min_iops = st[i].min_iops,
                                         .max_iops = st[i].max_iops, .min_iops_per_gib = st[i].min_iops_per_gib,
                                         .max_iops_per_gib = st[i].max_iops_per_gib,
                                         .min_throughput_mibps = st[i].min_throughput_mibps,
                                         .max_throughput_mibps = st[i].max_throughput_mibps,
                                         .max_throughput_per_iops = st[i].max_throughput_per_iops };
    out->classes = names;
    out->n_classes = nc;
    out->storage = so;
    out->n_storage = ns;
    return 0;
}
