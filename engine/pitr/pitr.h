/* pitr.h: what the pitr family's files share (engine/pitr): the clock map (clock.c), the
 * WAL archive upkeep (archive.c) and RestoreDBInstanceToPointInTime (restore.c). Private
 * to engine/pitr. */
#ifndef RDSLOCAL_ENGINE_PITR_H
#define RDSLOCAL_ENGINE_PITR_H

#include "engine_internal.h"

/* The archive's data key of an encrypted instance (d->kms_key_id): the one wrapped in the
 * archive, else (create true) a new one, which *wrapped / *wrapped_n then carry (arena a).
 * KMSKeyNotAccessibleFault when the key is unusable. */
int pitr__archive_key(engine *e, store *s, arena *a, const char *resource_id, const char *kms_key_id, bool create,
                      unsigned char plain[32], unsigned char **wrapped, size_t *wrapped_n, rds_error *err);
/* Ships resource_id's WAL now until its archive covers target_real_ms (or timeout_ms
 * passed); the restorable real instant reached (-1 if unknown). */
int64_t pitr__ship_until(engine *e, store *s, const db_instance *d, int64_t target_real_ms, int timeout_ms);

#endif
