/* describe.c: DescribeDBInstances (read-only: no lock, no transaction). One page of rows
 * by id after the marker, their tags fetched in one query. Any HTTP thread. */
#include "instances/instances.h"

#include <string.h>

int engine_describe_instances(engine_req *r, const describe_instances_in *in, instance_view **out,
                              size_t *n_out, const char **next_marker, rds_error *err)
{
    store *s = engine__store(r->e, err);
    if (!s)
        return -1;
    store_filter f[4];
    size_t nf = 0;
    const char *one_id = instances__id_arg(r, in->id);
    if (in->f_instance_ids.n) {
        const char **ids = arena_alloc(r->a, in->f_instance_ids.n * sizeof *ids);
        for (size_t i = 0; i < in->f_instance_ids.n; i++)
            ids[i] = instances__id_arg(r, in->f_instance_ids.v[i]);
        f[nf++] = (store_filter){ "id", ids, in->f_instance_ids.n };
    }
    if (in->f_resource_ids.n)
        f[nf++] = (store_filter){ "resource_id", in->f_resource_ids.v, in->f_resource_ids.n };
    if (in->f_engines.n)
        f[nf++] = (store_filter){ "engine", in->f_engines.v, in->f_engines.n };
    static const char *const none[] = { "" };
    if (in->f_cluster_ids.n || in->f_domains.n)   /* no clusters or domains here: nothing matches */
        f[nf++] = (store_filter){ "id", none, 1 };
    const char *only[1] = { one_id };
    if (one_id)
        f[nf++] = (store_filter){ "id", only, 1 };
    int limit = in->max_records ? in->max_records : 100;
    db_instance **rows;
    size_t n;
    if (store_instance_list(s, r->a, r->region, f, nf, in->marker, limit + 1, &rows, &n, err))
        return -1;
    /* Drop rows deleted under realistic timing whose "deleting" display has ended. */
    int64_t now = rds_now_ms();
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (rows[i]->shown_until_ms > now && rows[i]->shown_until_ms < r->valid_until_ms)
            r->valid_until_ms = rows[i]->shown_until_ms;
        if (strcmp(rows[i]->status, "deleted") == 0 && now >= rows[i]->shown_until_ms)
            continue;
        rows[kept++] = rows[i];
    }
    n = kept;
    if (one_id && n == 0)
        return instances__not_found(err, one_id);
    *next_marker = NULL;
    if (n > (size_t)limit) {
        n = (size_t)limit;
        *next_marker = rows[n - 1]->id;
    }
    instance_view *v = arena_alloc(r->a, (n + 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        if (engine__instance_view_ex(r, s, rows[i], false, &v[i], err))
            return -1;
    /* All tags of the region's instances in one query, matched to the page by ARN. */
    const char **arns;
    rds_tag *tags;
    size_t nt;
    if (n && store_tags_by_prefix(s, r->a, engine__arn(r->e, r->a, r->region, "db", ""), &arns, &tags,
                                  &nt, err))
        return -1;
    for (size_t i = 0, t = 0; i < n && nt; i++) {
        while (t < nt && strcmp(arns[t], v[i].arn) < 0)
            t++;
        size_t first = t;
        while (t < nt && strcmp(arns[t], v[i].arn) == 0)
            t++;
        v[i].tags = tags + first;
        v[i].n_tags = t - first;
    }
    *out = v;
    *n_out = n;
    return 0;
}
