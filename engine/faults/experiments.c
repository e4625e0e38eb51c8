/* experiments.c: scheduled fault experiments -- a list of faults at offsets (ms from the
 * experiment's start) that the worker starts when their time comes ("kill the primary
 * 2 s after start, then hang the new primary for 5 s"). A step that cannot start (the
 * instance is failing over, say) is marked failed with the reason; the others still run.
 * An experiment is "running" while a step is pending or one of its faults is active,
 * then "completed"; a DELETE cancels it ("cancelled": pending steps are skipped and its
 * active faults end). Kept in memory with the faults (faults_internal.h), under the same
 * mutex. */
#include "faults/faults_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy_step(engine_experiment_view *v, size_t i, const engine_fault_in *in, const char *region)
{
    v->steps[i].in = *in;
    snprintf(v->steps[i].instance_id, sizeof v->steps[i].instance_id, "%s", in->instance_id);
    snprintf(v->steps[i].region, sizeof v->steps[i].region, "%s", region);
    v->steps[i].in.instance_id = v->steps[i].instance_id;
    v->steps[i].in.region = v->steps[i].region;
    v->steps[i].state = "pending";
}

/* Refreshes the steps' states from their faults, and the experiment's from its steps
 * (t->dirty when anything changed). */
static void refresh(struct engine_faults *t, experiment *x)
{
    const char *before = x->v.state;
    bool busy = false;
    for (size_t i = 0; i < x->v.n_steps; i++) {
        if (!x->step_started[i]) {
            busy = busy || strcmp(x->v.steps[i].state, "pending") == 0;
            continue;
        }
        if (!x->v.steps[i].fault_id)
            continue; /* failed or skipped */
        /* a fault gone from the history has ended long ago */
        const fault *f = faults__find_locked(t, x->v.steps[i].fault_id);
        const char *st = f && f->v.active ? "active" : "ended";
        t->dirty = t->dirty || strcmp(st, x->v.steps[i].state) != 0;
        x->v.steps[i].state = st;
        busy = busy || (f && f->v.active);
    }
    if (strcmp(x->v.state, "cancelled") != 0)
        x->v.state = busy ? "running" : "completed";
    t->dirty = t->dirty || strcmp(before, x->v.state) != 0;
}

void faults__experiments_refresh_locked(struct engine_faults *t)
{
    for (size_t i = 0; i < t->nx; i++)
        refresh(t, &t->x[i]);
}

static experiment *find(struct engine_faults *t, int64_t id)
{
    for (size_t i = 0; i < t->nx; i++)
        if (t->x[i].v.id == id)
            return &t->x[i];
    return NULL;
}

int engine_experiment_start(engine *e, const engine_fault_in *steps, size_t n, engine_experiment_view *out,
                            rds_error *err)
{
    if (n == 0 || n > ENGINE_EXPERIMENT_MAX_STEPS)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "an experiment has from 1 to %d faults",
                        ENGINE_EXPERIMENT_MAX_STEPS);
    for (size_t i = 0; i < n; i++)
        if (faults__check_input(&steps[i], err))
            return rds_detail(err, "step %zu", i);
    /* Unknown instances are refused now rather than failing later. */
    store *s = engine__store(e, err);
    if (!s)
        return -1;
    arena *a = arena_new();
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *region = steps[i].region && steps[i].region[0] ? steps[i].region : e->cfg.default_region;
        db_instance *d = NULL;
        const char *id = rds_lower(arena_strdup(a, steps[i].instance_id));
        rc = store_instance_get(s, a, region, id, &d, err);
        if (rc == 0 && (!d || strcmp(d->status, "deleted") == 0))
            rc = rds_fail(err, RDS_E_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found.", id);
    }
    arena_free(a);
    if (rc)
        return -1;

    struct engine_faults *t = faults__get(e);
    pthread_mutex_lock(&t->mu);
    if (t->nx == FAULTS_KEEP_EXPERIMENTS) {
        /* forget the oldest finished one */
        for (size_t i = 0; i < t->nx; i++) {
            refresh(t, &t->x[i]);
            if (strcmp(t->x[i].v.state, "running") != 0) {
                memmove(&t->x[i], &t->x[i + 1], (t->nx - i - 1) * sizeof *t->x);
                t->nx--;
                break;
            }
        }
        if (t->nx == FAULTS_KEEP_EXPERIMENTS) {
            faults__unlock(t);
            return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION, "%d experiments are running already",
                            FAULTS_KEEP_EXPERIMENTS);
        }
    }
    if (t->nx == t->capx) {
        size_t cap = t->capx ? 2 * t->capx : 4;
        experiment *bigger = realloc(t->x, cap * sizeof *bigger);
        if (!bigger)
            abort();
        t->x = bigger;
        t->capx = cap;
    }
    experiment *x = &t->x[t->nx++];
    memset(x, 0, sizeof *x);
    x->v.id = t->next_experiment_id++;
    x->v.start_ms = rds_real_now_ms();
    x->v.state = "running";
    x->v.n_steps = n;
    t->dirty = true;
    for (size_t i = 0; i < n; i++)
        copy_step(&x->v, i, &steps[i],
                  steps[i].region && steps[i].region[0] ? steps[i].region : e->cfg.default_region);
    /* steps at offset 0 start now, so the response already shows them */
    faults__experiments_tick_locked(e, t, x->v.start_ms);
    if (out)
        *out = x->v;
    log_at(LOG_INFO, "faults", "experiment %lld started steps=%zu", (long long)x->v.id, n);
    faults__unlock(t);
    return 0;
}

void faults__experiments_tick_locked(engine *e, struct engine_faults *t, int64_t now_ms)
{
    for (size_t k = 0; k < t->nx; k++) {
        experiment *x = &t->x[k];
        if (strcmp(x->v.state, "running") != 0)
            continue;
        for (size_t i = 0; i < x->v.n_steps; i++) {
            if (x->step_started[i] || now_ms < x->v.start_ms + x->v.steps[i].in.offset_ms)
                continue;
            x->step_started[i] = true;
            engine_fault_view fv;
            rds_error err;
            rds_error_clear(&err);
            /* the view's own strings: the table may have moved since the pointers were set */
            engine_fault_in in = x->v.steps[i].in;
            in.instance_id = x->v.steps[i].instance_id;
            in.region = x->v.steps[i].region;
            if (faults__start_locked(e, t, &in, x->v.id, &fv, &err) == 0) {
                x->v.steps[i].fault_id = fv.id;
            } else {
                x->v.steps[i].state = "failed";
                t->dirty = true;
                snprintf(x->v.steps[i].error, sizeof x->v.steps[i].error, "%.40s: %.140s", rds_error_code_str(err.code),
                         err.message);
                log_at(LOG_INFO, "faults", "experiment %lld step %zu failed: %s", (long long)x->v.id, i,
                       err.message);
            }
        }
        refresh(t, x);
    }
}

int engine_experiment_get(engine *e, int64_t id, engine_experiment_view *out, rds_error *err)
{
    struct engine_faults *t = faults__get(e);
    bool found = false;
    pthread_mutex_lock(&t->pub_mu);
    for (size_t i = 0; i < t->pub_nx && !found; i++)
        if (t->pub_x[i].id == id) {
            *out = t->pub_x[i];
            found = true;
        }
    pthread_mutex_unlock(&t->pub_mu);
    return found ? 0 : rds_fail(err, RDS_E_RESOURCE_NOT_FOUND_FAULT, "experiment %lld not found", (long long)id);
}

size_t engine_experiments_list(engine *e, engine_experiment_view *out, size_t max)
{
    struct engine_faults *t = faults__get(e);
    pthread_mutex_lock(&t->pub_mu);
    size_t k = 0;
    for (size_t i = 0; i < t->pub_nx && k < max; i++)
        out[k++] = t->pub_x[i];
    pthread_mutex_unlock(&t->pub_mu);
    return k;
}

int engine_experiment_cancel(engine *e, int64_t id, engine_experiment_view *out, rds_error *err)
{
    struct engine_faults *t = faults__get(e);
    pthread_mutex_lock(&t->mu);
    experiment *x = find(t, id);
    if (x) {
        for (size_t i = 0; i < x->v.n_steps; i++) {
            if (!x->step_started[i]) {
                x->step_started[i] = true;
                x->v.steps[i].state = "skipped";
                continue;
            }
            fault *f = x->v.steps[i].fault_id ? faults__find_locked(t, x->v.steps[i].fault_id) : NULL;
            if (f && f->v.active)
                faults__end_locked(e, t, f, "experiment cancelled");
        }
        refresh(t, x);
        x->v.state = "cancelled";
        t->dirty = true;
        if (out)
            *out = x->v;
    }
    faults__unlock(t);
    return x ? 0 : rds_fail(err, RDS_E_RESOURCE_NOT_FOUND_FAULT, "experiment %lld not found", (long long)id);
}

void faults__experiments_clear_locked(struct engine_faults *t)
{
    t->nx = 0;
}
