/* autobackup.h: what the automated-backup family's files share (automated_backups/).
 * Private to engine/automated_backups.
 *
 * The pieces: an instance with BackupRetentionPeriod > 0 has one db_automated_backup row
 * (its DbiResourceId) and automated snapshots (db_snapshot rows of SnapshotType
 * "automated", named rds:<instance>-yyyy-mm-dd-hh-mm, files made by the snapshot machinery:
 * pg_basebackup -X fetch, so each is a consistent base for point-in-time restore). The
 * worker (engine_tick, so also every clock advance) takes the due backups (take.c) and
 * removes expired ones; the API side is in backups.c. WAL belongs to the pitr family: when
 * backups expire or go, its engine__pitr_prune / engine__pitr_forget are called. */
#ifndef RDSLOCAL_ENGINE_AUTOBACKUP_H
#define RDSLOCAL_ENGINE_AUTOBACKUP_H

#include "engine_internal.h"

#define AUTOBACKUP_DAY_MS 86400000LL

/* DBInstanceAutomatedBackupNotFound (404) naming what was looked for. */
int autobackup__not_found(rds_error *err, const char *what);
/* The first start of the daily backup window strictly after after_ms (rdslocal clock). */
int64_t autobackup__next_window_start(const char *window, int64_t after_ms);
/* "rds:<instance>-yyyy-mm-dd-hh-mm" for a backup started at at_ms (UTC), in arena a. */
const char *autobackup__snapshot_id(arena *a, const char *instance_id, int64_t at_ms);
/* A new row for instance d (status active, a new ab- id), in arena a. */
db_automated_backup *autobackup__new_row(engine_req *r, const db_instance *d);
/* The row's values from the live instance (active rows): id, retention, window, storage... */
void autobackup__overlay(db_automated_backup *b, const db_instance *d);
/* Inside the caller's transaction: every automated snapshot of resource_id is marked
 * deleted (its files go at the next worker pass) and the row is removed. */
int autobackup__delete_all(engine *e, store *s, arena *a, const char *region, const char *resource_id,
                           rds_error *err);
/* Removes the WAL of resource_id (pitr), logging a failure. */
void autobackup__forget_wal(engine *e, const char *resource_id);

#endif
