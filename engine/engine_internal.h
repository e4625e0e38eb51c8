/* engine_internal.h: state and helpers shared by the engine façade files (engine.c,
 * ops_instances.c, ops_misc.c). Not part of the public API. */
#ifndef RDSLOCAL_ENGINE_INTERNAL_H
#define RDSLOCAL_ENGINE_INTERNAL_H

#include "rdslocal/engine.h"
#include "rdslocal/rules.h"
#include "rdslocal/store.h"
#include "rdslocal/supervisor.h"

#include <pthread.h>

enum { ENGINE_LOCK_STRIPES = 64 };

struct engine {
    engine_config cfg;          /* strings owned (strdup'd) */
    char *db_path;
    pthread_key_t store_key;    /* per-thread store connection */
    sv_supervisor *sv;          /* NULL only if it could not start (then every create fails) */
    pthread_mutex_t stripes[ENGINE_LOCK_STRIPES]; /* per-instance operation locks */
    pthread_mutex_t port_mu;    /* port choice + row insert */
    pthread_t worker;
    bool worker_started;
    pthread_mutex_t worker_mu;
    pthread_cond_t worker_cv;
    bool stopping;
    int64_t last_tick_ms;
    int lock_fd;                /* flock on <state_dir>/rdslocal.lock: one rdslocal per state dir */
    int64_t last_model_tick_ms; /* model time of the previous tick (worker_mu): a clock jump
                                 * over a maintenance window still applies pending changes */
};

/* The calling thread's store connection (opened on first use). NULL + err on failure. */
store *engine__store(engine *e, rds_error *err);
/* Lock protecting one instance's operations (by region + id). */
pthread_mutex_t *engine__instance_lock(engine *e, const char *region, const char *id);
/* Records an event (inside the caller's transaction). */
int engine__event(engine *e, store *s, const db_instance *d, rules_event_id id, const char *arg,
                  rds_error *err);
/* Fills a view (ARN, shown status, tags, subnet details) for an instance read from the store.
 * with_tags false leaves the tags for the caller to fill (batched Describe). */
int engine__instance_view_ex(engine_req *r, store *s, db_instance *d, bool with_tags,
                             instance_view *out, rds_error *err);
#define engine__instance_view(r, s, d, out, err) engine__instance_view_ex(r, s, d, true, out, err)
/* Status shown now: the transitional one while realistic timing keeps it, else the settled one. */
const char *engine__shown_status(const db_instance *d, int64_t now_ms);
/* A supervisor spec for an instance (key, major, port, sizing). */
sv_instance_spec engine__spec(const db_instance *d);
/* Sets the settled status plus, with realistic timing, the transitional one to show. */
void engine__set_status(engine *e, db_instance *d, const char *settled, const char *transitional);
const char *engine__arn(engine *e, arena *a, const char *region, const char *type, const char *name);
/* The region's default KMS key ARN for RDS (alias aws/rds). */
const char *engine__default_kms_key(engine *e, arena *a, const char *region);
/* Applies pending modifications of one instance (maintenance window reached). */
int engine__apply_pending(engine *e, store *s, arena *a, db_instance *d, rds_error *err);

#endif
