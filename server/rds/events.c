/* events.c: DescribeEvents and DescribeEventCategories. */
#include "rds.h"


#include <string.h>

ACTION(DescribeEvents)
{
    describe_events_in d = { .source_id = param_str(in, RDS_M_SourceIdentifier),
                             .source_type = param_str(in, RDS_M_SourceType),
                             .marker = param_str(in, RDS_M_Marker),
                             .categories = act_str_list(rq, in, RDS_M_EventCategories) };
    if (act_max_records(in, 100, &d.max_records, err))
        return -1;
    if (d.source_id && !d.source_type)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "Cannot specify source identifier without source type");
    /* AWS: StartTime/EndTime bound the window; Duration (minutes) counts back from now or
     * forward from StartTime; default is the past hour. Events are kept 14 days. */
    int64_t now = rds_now_ms(), start = 0, end = 0, duration_min = 0;
    bool has_start = param_int(in, RDS_M_StartTime, &start);
    bool has_end = param_int(in, RDS_M_EndTime, &end);
    bool has_dur = param_int(in, RDS_M_Duration, &duration_min);
    if (!has_end)
        end = has_start && has_dur ? start + duration_min * 60000 : now;
    if (!has_start)
        start = end - (has_dur ? duration_min : 60) * 60000;
    d.start_ms = start;
    d.end_ms = end;
    rds_event **ev;
    size_t n;
    const char *next = NULL;
    if (engine_describe_events(&rq->er, &d, &ev, &n, &next, err))
        return -1;
    res_str(x, "Marker", next);
    res_list(x, "Events");
    for (size_t i = 0; i < n; i++) {
        res_struct(x, "Event");
        res_str(x, "SourceIdentifier", ev[i]->source_id);
        res_str(x, "SourceType", ev[i]->source_type);
        res_str(x, "Message", ev[i]->message);
        res_list(x, "EventCategories");
        res_str(x, "EventCategory", ev[i]->category);
        res_close(x);
        res_time(x, "Date", ev[i]->at_ms);
        res_str(x, "SourceArn", ev[i]->source_arn);
        res_close(x);
    }
    res_close(x);
    return 0;
}

ACTION(DescribeEventCategories)
{
    engine_event_category_map *src;
    size_t n;
    if (engine_event_categories(&rq->er, param_str(in, RDS_M_SourceType), &src, &n, err))
        return -1;
    res_list(x, "EventCategoriesMapList");
    for (size_t t = 0; t < n; t++) {
        res_struct(x, "EventCategoriesMap");
        res_str(x, "SourceType", src[t].source_type);
        res_list(x, "EventCategories");
        for (size_t c = 0; c < src[t].n_categories; c++)
            res_str(x, "EventCategory", src[t].categories[c]);
        res_close(x);
        res_close(x);
    }
    res_close(x);
    return 0;
}

static const action_def rows[] = {
    { &rds_api, "DescribeEventCategories", act_DescribeEventCategories, AF_CACHEABLE },
    { &rds_api, "DescribeEvents", act_DescribeEvents, 0 },
};
DISPATCH_FAMILY(rds_events, rows);
