/* faults_internal.h: the fault table shared by faults.c (single faults: start, end, the
 * tick) and experiments.c (scheduled lists of faults). One mutex (mu) guards both tables;
 * the process work (supervisor calls) and the status writes run with it held, so a fault's
 * start and end never interleave. Lock order: faults->mu, then an instance lock (through
 * engine__run); nothing takes them the other way round.
 * Readers never wait for that work (the admin GETs run on an HTTP I/O thread, and ending a
 * cut-standby waits for the standby to catch up): every section that changed the tables
 * publishes a copy of the views (pub_*, under pub_mu) as it unlocks (faults__unlock), and
 * the list/get functions read that copy. */
#ifndef RDSLOCAL_FAULTS_INTERNAL_H
#define RDSLOCAL_FAULTS_INTERNAL_H

#include "engine_internal.h"

enum { FAULTS_KEEP_ENDED = 100, FAULTS_KEEP_EXPERIMENTS = 50 };

typedef struct fault {
    engine_fault_view v;        /* what the API shows */
    char key[80];               /* the instance's DbiResourceId (supervisor key) */
    int64_t storage_gib_at_start; /* storage-full: ends when AllocatedStorage grows past it */
    int killed_pid;             /* kill-standby: active until a standby other than this one runs */
    bool recovered;             /* kill-standby: it did (its end records RDS-EVENT-0053) */
} fault;

typedef struct experiment {
    engine_experiment_view v;
    bool step_started[ENGINE_EXPERIMENT_MAX_STEPS];
} experiment;

struct engine_faults {
    pthread_mutex_t mu;
    fault *f;                   /* active first-come order; ended ones kept up to FAULTS_KEEP_ENDED */
    size_t n, cap;
    experiment *x;
    size_t nx, capx;
    int64_t next_fault_id, next_experiment_id;
    bool reconciled;            /* storage-full statuses of an earlier run reset */
    int64_t last_storage_check_ms;
    bool dirty;                 /* changed since the last publish */
    pthread_t thread;           /* the faults timer (faults.c), started by the worker's first call */
    bool thread_started, stopping;
    pthread_cond_t cv;          /* wakes the timer early (stop) */
    pthread_mutex_t pub_mu;     /* guards the published copies below */
    engine_fault_view *pub_f;
    size_t pub_n;
    engine_experiment_view *pub_x;
    size_t pub_nx;
};

/* The table (made on first use). */
struct engine_faults *faults__get(engine *e);
/* Unlocks mu, publishing the views first if anything changed (t->dirty). */
void faults__unlock(struct engine_faults *t);
/* Refreshes every experiment's state from its faults (mu held); sets t->dirty on a change. */
void faults__experiments_refresh_locked(struct engine_faults *t);
/* engine_fault_start with mu held; experiment_id tags the fault. */
int faults__start_locked(engine *e, struct engine_faults *t, const engine_fault_in *in, int64_t experiment_id,
                         engine_fault_view *out, rds_error *err);
/* Ends an active fault (mu held): undoes its effect, records its end event. */
void faults__end_locked(engine *e, struct engine_faults *t, fault *f, const char *outcome);
fault *faults__find_locked(struct engine_faults *t, int64_t id);
/* Experiments' share of the tick and of reset (mu held). */
void faults__experiments_tick_locked(engine *e, struct engine_faults *t, int64_t now_ms);
void faults__experiments_clear_locked(struct engine_faults *t);
/* Checks a fault request that needs no instance: kind, duration, offset. */
int faults__check_input(const engine_fault_in *in, rds_error *err);

#endif
