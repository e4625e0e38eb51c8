/* events.c: recording events (engine__event_for: any registered family, inside the
 * caller's transaction) and the read side: DescribeEvents and DescribeEventCategories.
 * Any HTTP thread; the worker records events too. */
#include "engine_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int engine__event_for(engine *e, store *s, const engine_kind *k, const char *region, const char *name,
                      rules_event_id id, const char *arg, rds_error *err)
{
    assert(k && k->source_type);  /* only families with a SourceType emit events */
    assert(store_in_tx(s));       /* an event is part of the change it reports */
    const rules_event_def *def = rules_event(id);
    assert(def);
    char msg[512];
    if (def->nargs > 0)
        snprintf(msg, sizeof msg, def->message, arg ? arg : "");
    else
        snprintf(msg, sizeof msg, "%s", def->message);
    char arn[256];
    snprintf(arn, sizeof arn, "arn:aws:rds:%s:%s:%s:%s", region, e->cfg.account_id, k->arn_type, name);
    rds_event ev = { .region = region, .source_id = name, .source_type = k->source_type,
                     .source_arn = arn, .category = def->category, .message = msg,
                     .at_ms = rds_now_ms() };
    log_at(LOG_INFO, "event", "%s=\"%s\" region=%s category=\"%s\" message=\"%s\"", k->source_type,
           name, region, def->category, msg);
    return store_event_add(s, &ev, err);
}

int engine__event(engine *e, store *s, const db_instance *d, rules_event_id id, const char *arg,
                  rds_error *err)
{
    return engine__event_for(e, s, &engine__kind_instance, d->region, d->id, id, arg, err);
}

int engine_event_categories(engine_req *r, const char *source_type, engine_event_category_map **out,
                            size_t *n_out, rds_error *err)
{
    if (source_type && !rules_source_type_valid(source_type))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid source type: %.64s", source_type);
    const rules_event_source *src;
    size_t n = rules_event_sources(&src);
    engine_event_category_map *v = arena_alloc(r->a, (n + 1) * sizeof *v);
    size_t k = 0;
    for (size_t t = 0; t < n; t++) {
        if (source_type && strcmp(source_type, src[t].source_type) != 0)
            continue;
        size_t nc = 0;
        while (src[t].categories[nc])
            nc++;
        v[k++] = (engine_event_category_map){ .source_type = src[t].source_type,
                                              .categories = src[t].categories, .n_categories = nc };
    }
    *out = v;
    *n_out = k;
    return 0;
}

int engine_describe_events(engine_req *r, const describe_events_in *in, rds_event ***out,
                           size_t *n_out, const char **next_marker, rds_error *err)
{
    store *s = engine__store(r->e, err);
    if (!s)
        return -1;
    if (in->source_type && !rules_source_type_valid(in->source_type))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid source type: %s", in->source_type);
    for (size_t i = 0; i < in->categories.n; i++)
        if (!rules_event_category_valid(in->source_type ? in->source_type : "db-instance", in->categories.v[i]))
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid event category: %s", in->categories.v[i]);
    int64_t after = 0;
    if (in->marker) {
        char *end;
        after = strtoll(in->marker, &end, 10);
        if (*end || after < 0)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid marker: %s", in->marker);
    }
    const char *source_id = in->source_id ? rds_lower(arena_strdup(r->a, in->source_id)) : NULL;
    int limit = in->max_records ? in->max_records : 100;
    rds_event **all = arena_alloc(r->a, ((size_t)limit + 1) * sizeof *all);
    size_t k = 0;
    int64_t last_seq = 0;
    *next_marker = NULL;
    /* Category filtering is done here (one category per event row): fetch in pages until
     * enough match or the window is exhausted. */
    for (;;) {
        rds_event **ev;
        int64_t *seqs;
        size_t n;
        if (store_event_list(s, r->a, r->region, in->source_type, source_id, in->start_ms, in->end_ms,
                             after, 256, &ev, &seqs, &n, err))
            return -1;
        for (size_t i = 0; i < n; i++) {
            after = seqs[i];
            bool match = in->categories.n == 0;
            for (size_t c = 0; c < in->categories.n && !match; c++)
                match = strcmp(in->categories.v[c], ev[i]->category) == 0;
            if (!match)
                continue;
            if (k == (size_t)limit) {
                *next_marker = arena_printf(r->a, "%lld", (long long)last_seq);
                goto done;
            }
            all[k++] = ev[i];
            last_seq = seqs[i];
        }
        if (n < 256)
            break;
    }
done:
    *out = all;
    *n_out = k;
    return 0;
}
