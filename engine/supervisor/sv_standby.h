/* sv_standby.h: private to sv_standby.c and sv_failover.c (the Multi-AZ standby and its
 * failover): settings and the helpers the two files share. Callers hold the instance's
 * busy flag unless noted. */
#ifndef RDSLOCAL_SV_STANDBY_H
#define RDSLOCAL_SV_STANDBY_H

#include "sv_internal.h"

#include <libpq-fe.h>

#define SB_APP "rdslocal_standby"    /* application_name of the standby's walreceiver */
#define SB_TICK_MS 10                /* liveness checks (kill 0, /proc) */
#define SB_PING_EVERY_MS 200         /* health check by connection */
#define SB_PING_TIMEOUT_MS 1000      /* no answer within this: a miss (a loaded 2-core box answers
                                        well within it; a stopped server never does) */
#define SB_HANG_MISSES 2             /* consecutive misses that mean "stopped answering" */
#define SB_SYNC_WAIT_MS 30000        /* a new standby must stream within this */
#define SB_TRIGGER "promote.trigger" /* promote_trigger_file of a failover start, in D/data */

/* <instance dir>/<name> into buf ("" if it does not fit). */
void sv__sb_dir(const sv_inst *in, const char *name, char *buf, size_t n);
/* The standby's private socket dir into buf. */
void sv__sb_sock(const sv_inst *in, char *buf, size_t n);
/* rdsadmin session over sock within timeout_ms, or NULL; *answered: the server replied
 * (even with an error), so it is alive. Any thread, no lock needed. */
PGconn *sv__sb_connect(const char *sock, int port, int timeout_ms, bool *answered);
/* Runs sql on c within timeout_ms; the first value into out. 0 or -1. */
int sv__sb_query(PGconn *c, const char *sql, int timeout_ms, char *out, size_t n);
/* sv__sb_connect + sv__sb_query + close. */
int sv__sb_ask(const char *sock, int port, const char *sql, int timeout_ms, char *out, size_t n);
/* The standby postmaster runs (own child reaped when it exited). */
bool sv__sb_alive(sv_inst *in);
/* Stops the standby (fast, or immediate) and every process left in its data dir. */
void sv__sb_kill(sv_inst *in, bool immediate);
/* synchronous_standby_names on the primary: rewrites its conf and reloads it. */
int sv__sb_set_sync(sv_supervisor *sv, sv_inst *in, bool on, rds_error *err);
/* The primary (in->sock, in->port) has a streaming walsender for the standby. */
bool sv__sb_streaming(const sv_inst *in);
/* Starts the health-check thread once per supervisor (sv_failover.c). Takes sv->mu. */
void sv__sb_keeper_start(sv_supervisor *sv);

#endif
