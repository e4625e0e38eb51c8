/* snapshots.h: what the DB snapshot family's files share (snapshots/): identifier
 * arguments, loading, the view, the data-key plumbing of encrypted snapshots. Private to
 * engine/snapshots. */
#ifndef RDSLOCAL_ENGINE_SNAPSHOTS_H
#define RDSLOCAL_ENGINE_SNAPSHOTS_H

#include "engine_internal.h"

/* AWS's default quota of manual snapshots per region. */
#define SNAPSHOTS_DEFAULT_QUOTA 100

/* DBSnapshotAlreadyExists (400) for a new snapshot (create, copy, final snapshot). */
int snapshots__already_exists(rds_error *err, const char *id);
int snapshots__not_found(rds_error *err, const char *id);
/* DBSnapshotIdentifier rules: 1-255 letters, digits, hyphens; a letter first; no
 * trailing or double hyphen. */
int snapshots__check_id(const char *param, const char *id, rds_error *err);
/* An id or a snapshot ARN of this account; *region is the ARN's region (else the
 * request's). Lower-cased id in r's arena; NULL if the ARN is not a snapshot ARN of this
 * account. */
const char *snapshots__id_arg(engine_req *r, const char *arg, const char **region);
/* A snapshot that exists (rows being deleted don't count) in region. */
int snapshots__load(engine_req *r, store *s, const char *region, const char *id, db_snapshot **out,
                    rds_error *err);
/* The status DescribeDBSnapshots shows now. */
const char *snapshots__shown_status(const db_snapshot *snap, int64_t now_ms);
/* Fills a view (ARN, shown status, progress, tags). */
int snapshots__view(engine_req *r, store *s, db_snapshot *snap, snapshot_view *out, rds_error *err);
/* The quota of manual snapshots: SnapshotQuotaExceeded when one more would pass it. */
int snapshots__check_quota(engine_req *r, store *s, rds_error *err);
/* A new storage key ("snap-" + 26 random characters). */
const char *snapshots__new_key(arena *a);
/* The plaintext data key of an encrypted snapshot's files: reads the wrapped key beside
 * them and has KMS open it (KMSKeyNotAccessibleFault when its key is unusable). */
int snapshots__open_key(engine *e, store *s, arena *a, const db_snapshot *snap, unsigned char key[32],
                        rds_error *err);
/* Sets the settled status and, with --realistic-timing, the transitional one to show. */
void snapshots__set_status(engine *e, db_snapshot *snap, const char *settled, const char *transitional);
/* rules_tags over a request's Tags. */
int snapshots__check_tags(arena *a, const tag_list *t, rds_error *err);
/* Tags of the new snapshot: the request's, else (copy_from set) those of copy_from's ARN. */
int snapshots__write_tags(store *s, arena *a, const char *arn, const tag_list *tags, const char *copy_from,
                          rds_error *err);

#endif
