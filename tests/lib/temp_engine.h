/* temp_engine.h: an API-only engine (no postgres processes) on a fresh temporary state
 * dir, for the tests and fuzz targets that drive the engine or dispatch_request() in
 * process, the per-case setup/cleanup those tests share, and the `rm -r` that removes the
 * dir afterwards (symlinks are removed, never followed). */
#ifndef RDSLOCAL_TEMP_ENGINE_H
#define RDSLOCAL_TEMP_ENGINE_H

#include "rdslocal/engine.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static inline void rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    DIR *d = opendir(path);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char child[4096];
        if (snprintf(child, sizeof child, "%s/%s", path, de->d_name) < (int)sizeof child)
            rm_tree(child);
    }
    if (d)
        closedir(d);
    rmdir(path);
}

/* Opens an API-only engine on the existing state dir (region us-east-1, account
 * 123456789012): a new one, or one a closed engine left (a restart). API-only mode builds
 * no initdb template, so the template dir inside it stays empty. Exits the process on
 * failure: a test without its engine cannot run. */
static inline engine *temp_engine_reopen(const char *state_dir)
{
    char tpl[512];
    snprintf(tpl, sizeof tpl, "%s/templates", state_dir);
    engine_config cfg = { .state_dir = state_dir, .template_dir = tpl,
                          .default_region = "us-east-1", .account_id = "123456789012",
                          .endpoint_address = "localhost", .no_engine = true };
    rds_error err;
    rds_error_clear(&err);
    engine *e = NULL;
    if (engine_open(&e, &cfg, &err)) {
        fprintf(stderr, "engine_open: %s (%s)\n", err.message, err.detail);
        exit(2);
    }
    return e;
}

/* Makes a state dir from template (e.g. "/tmp/rdslocal-test-api-XXXXXX", rewritten in
 * place) and opens an API-only engine on it (temp_engine_reopen). */
static inline engine *temp_engine_open(char *state_dir_template)
{
    if (!mkdtemp(state_dir_template)) {
        perror("mkdtemp");
        exit(2);
    }
    return temp_engine_reopen(state_dir_template);
}

/* A test case's start: errors-only logging, a fresh state dir
 * "/tmp/rdslocal-test-<name>-XXXXXX" written into dir, its engine in *e, an arena in *a. */
static inline void temp_engine_setup(const char *name, char dir[64], engine **e, arena **a)
{
    log_min_level = LOG_ERROR;
    snprintf(dir, 64, "/tmp/rdslocal-test-%s-XXXXXX", name);
    *e = temp_engine_open(dir);
    *a = arena_new();
}

/* A test case's end: closes the engine, frees the arena, removes the state dir. */
static inline void temp_engine_cleanup(const char *dir, engine **e, arena **a)
{
    engine_close(*e);
    *e = NULL;
    arena_free(*a);
    *a = NULL;
    rm_tree(dir);
}

/* A request of region on e, with no deadline. */
static inline engine_req temp_engine_req(engine *e, arena *a, const char *region)
{
    return (engine_req){ .e = e, .a = a, .region = region, .valid_until_ms = INT64_MAX };
}

#endif
