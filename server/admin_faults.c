/* admin_faults.c: the fault-injection admin routes (JSON), reached from admin_handle, so
 * they pass the front door's checks like every admin route (Host check, browser Origin
 * refusal, Content-Type: application/json on POST; see http.c):
 *
 *   POST   /_rdslocal/faults             start a fault now           -> 201 {fault}
 *   GET    /_rdslocal/faults[?all=true]  active faults (all: recent ended ones too)
 *   GET    /_rdslocal/faults/<id>        one fault, active or ended
 *   DELETE /_rdslocal/faults/<id>        end it now                  -> 200 {fault}
 *   POST   /_rdslocal/experiments        schedule faults at offsets  -> 201 {experiment}
 *   GET    /_rdslocal/experiments[/<id>] progress
 *   DELETE /_rdslocal/experiments/<id>   cancel: pending steps skipped, its faults end
 *
 * Errors are {"error": "<reason>", "code": "<AWS-style code>"} with the code's HTTP status
 * (400 bad request, 404 unknown instance/fault, 405 wrong method). Request shapes:
 * admin_faults_req.h. */
#include "admin_faults.h"

#include "admin_faults_req.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void json_str(strbuf *b, const char *s)
{
    strbuf_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            strbuf_printf(b, "\\%c", *p);
        else if (*p < 0x20)
            strbuf_printf(b, "\\u%04x", *p);
        else
            strbuf_printf(b, "%c", *p);
    }
    strbuf_puts(b, "\"");
}

static void finish(admin_response *out, int status, strbuf *b)
{
    strbuf_puts(b, "\n");
    out->status = status;
    out->body = b->data;
    out->body_len = b->len;
}

static void error_reply(admin_response *out, int status, const char *code, const char *message)
{
    strbuf b;
    strbuf_init(&b);
    strbuf_puts(&b, "{\"error\": ");
    json_str(&b, message);
    strbuf_puts(&b, ", \"code\": ");
    json_str(&b, code);
    strbuf_puts(&b, "}");
    finish(out, status, &b);
}

static void engine_error(admin_response *out, const rds_error *err)
{
    error_reply(out, rds_error_http_status(err->code), rds_error_code_str(err->code), err->message);
}

static void iso(strbuf *b, const char *name, int64_t ms)
{
    char t[40];
    rds_time_iso8601(t, sizeof t, ms);
    strbuf_printf(b, "\"%s\": ", name);
    json_str(b, t);
}

static void fault_json(strbuf *b, const engine_fault_view *f)
{
    strbuf_printf(b, "{\"id\": %lld, \"kind\": ", (long long)f->id);
    json_str(b, engine_fault_kind_name(f->kind));
    strbuf_puts(b, ", \"DBInstanceIdentifier\": ");
    json_str(b, f->instance_id);
    strbuf_puts(b, ", \"region\": ");
    json_str(b, f->region);
    strbuf_printf(b, ", \"state\": \"%s\", ", f->active ? "active" : "ended");
    iso(b, "start", f->start_ms);
    strbuf_puts(b, ", ");
    iso(b, "end", f->end_ms);
    strbuf_printf(b, ", \"start_ms\": %lld, \"end_ms\": %lld, \"outcome\": ", (long long)f->start_ms,
                  (long long)f->end_ms);
    json_str(b, f->outcome);
    if (f->experiment_id)
        strbuf_printf(b, ", \"experiment_id\": %lld", (long long)f->experiment_id);
    strbuf_puts(b, "}");
}

static void experiment_json(strbuf *b, const engine_experiment_view *x)
{
    strbuf_printf(b, "{\"id\": %lld, \"state\": \"%s\", ", (long long)x->id, x->state);
    iso(b, "start", x->start_ms);
    strbuf_printf(b, ", \"start_ms\": %lld, \"faults\": [", (long long)x->start_ms);
    for (size_t i = 0; i < x->n_steps; i++) {
        const engine_fault_in *in = &x->steps[i].in;
        strbuf_puts(b, i ? ", {\"kind\": " : "{\"kind\": ");
        json_str(b, engine_fault_kind_name(in->kind));
        strbuf_puts(b, ", \"DBInstanceIdentifier\": ");
        json_str(b, x->steps[i].instance_id);
        strbuf_puts(b, ", \"region\": ");
        json_str(b, x->steps[i].region);
        strbuf_printf(b, ", \"offset_ms\": %lld", (long long)in->offset_ms);
        if (in->duration_ms >= 0)
            strbuf_printf(b, ", \"duration_ms\": %lld", (long long)in->duration_ms);
        strbuf_printf(b, ", \"state\": \"%s\"", x->steps[i].state);
        if (x->steps[i].fault_id)
            strbuf_printf(b, ", \"fault_id\": %lld", (long long)x->steps[i].fault_id);
        if (x->steps[i].error[0]) {
            strbuf_puts(b, ", \"error\": ");
            json_str(b, x->steps[i].error);
        }
        strbuf_puts(b, "}");
    }
    strbuf_puts(b, "]}");
}

/* "<base>" -> 0 (no id); "<base>/<digits>" -> 1 with *id; anything else -> -1. */
static int route_id(const char *path, const char *base, int64_t *id)
{
    size_t n = strlen(base);
    if (strncmp(path, base, n) != 0)
        return -1;
    const char *rest = path + n;
    if (!*rest || strcmp(rest, "/") == 0)
        return 0;
    if (*rest != '/' || !rest[1])
        return -1;
    char *end;
    long long v = strtoll(rest + 1, &end, 10);
    if (*end || v <= 0 || rest[1] < '0' || rest[1] > '9')
        return -1;
    *id = v;
    return 1;
}

static bool query_flag(const char *query, const char *name)
{
    if (!query)
        return false;
    size_t n = strlen(name);
    for (const char *p = query; (p = strstr(p, name)) != NULL; p += n)
        if ((p == query || p[-1] == '&') && p[n] == '=' && (strncmp(p + n + 1, "true", 4) == 0 || p[n + 1] == '1'))
            return true;
    return false;
}

static void faults_route(engine *e, const char *method, int64_t id, bool has_id, const char *query,
                         const char *body, size_t body_len, admin_response *out)
{
    rds_error err;
    rds_error_clear(&err);
    strbuf b;
    char msg[256];
    if (!has_id && strcmp(method, "POST") == 0) {
        admin_fault_req req;
        if (admin_fault_req_parse(body, body_len, false, &req, msg, sizeof msg) != 0) {
            error_reply(out, 400, "InvalidParameterValue", msg);
            return;
        }
        engine_fault_view v;
        int rc = engine_fault_start(e, &req.steps[0], &v, &err);
        admin_fault_req_free(&req);
        if (rc) {
            engine_error(out, &err);
            return;
        }
        strbuf_init(&b);
        fault_json(&b, &v);
        finish(out, 201, &b);
        return;
    }
    if (strcmp(method, "GET") == 0) {
        enum { MAX_LIST = 256 };
        engine_fault_view *v = malloc(MAX_LIST * sizeof *v);
        if (!v)
            abort();
        size_t n = engine_faults_list(e, has_id || query_flag(query, "all"), v, MAX_LIST);
        strbuf_init(&b);
        if (has_id) {
            size_t i = 0;
            while (i < n && v[i].id != id)
                i++;
            if (i == n) {
                free(v);
                strbuf_free(&b);
                snprintf(msg, sizeof msg, "fault %lld not found", (long long)id);
                error_reply(out, 404, "ResourceNotFoundFault", msg);
                return;
            }
            fault_json(&b, &v[i]);
        } else {
            strbuf_puts(&b, "{\"faults\": [");
            for (size_t i = 0; i < n; i++) {
                if (i)
                    strbuf_puts(&b, ", ");
                fault_json(&b, &v[i]);
            }
            strbuf_puts(&b, "]}");
        }
        free(v);
        finish(out, 200, &b);
        return;
    }
    if (has_id && strcmp(method, "DELETE") == 0) {
        engine_fault_view v;
        if (engine_fault_end(e, id, &v, &err)) {
            engine_error(out, &err);
            return;
        }
        strbuf_init(&b);
        fault_json(&b, &v);
        finish(out, 200, &b);
        return;
    }
    error_reply(out, 405, "MethodNotAllowed",
                has_id ? "use GET or DELETE on /_rdslocal/faults/<id>" : "use GET or POST on /_rdslocal/faults");
}

static void experiments_route(engine *e, const char *method, int64_t id, bool has_id, const char *body,
                              size_t body_len, admin_response *out)
{
    rds_error err;
    rds_error_clear(&err);
    strbuf b;
    char msg[256];
    engine_experiment_view *v = malloc(sizeof *v);
    if (!v)
        abort();
    if (!has_id && strcmp(method, "POST") == 0) {
        admin_fault_req req;
        if (admin_fault_req_parse(body, body_len, true, &req, msg, sizeof msg) != 0) {
            error_reply(out, 400, "InvalidParameterValue", msg);
        } else if (engine_experiment_start(e, req.steps, req.n, v, &err)) {
            engine_error(out, &err);
        } else {
            strbuf_init(&b);
            experiment_json(&b, v);
            finish(out, 201, &b);
        }
        admin_fault_req_free(&req);
    } else if (has_id && (strcmp(method, "GET") == 0 || strcmp(method, "DELETE") == 0)) {
        int rc = strcmp(method, "GET") == 0 ? engine_experiment_get(e, id, v, &err)
                                            : engine_experiment_cancel(e, id, v, &err);
        if (rc) {
            engine_error(out, &err);
        } else {
            strbuf_init(&b);
            experiment_json(&b, v);
            finish(out, 200, &b);
        }
    } else if (!has_id && strcmp(method, "GET") == 0) {
        enum { MAX_LIST = 64 };
        engine_experiment_view *all = malloc(MAX_LIST * sizeof *all);
        if (!all)
            abort();
        size_t n = engine_experiments_list(e, all, MAX_LIST);
        strbuf_init(&b);
        strbuf_puts(&b, "{\"experiments\": [");
        for (size_t i = 0; i < n; i++) {
            if (i)
                strbuf_puts(&b, ", ");
            experiment_json(&b, &all[i]);
        }
        strbuf_puts(&b, "]}");
        free(all);
        finish(out, 200, &b);
    } else {
        error_reply(out, 405, "MethodNotAllowed",
                    has_id ? "use GET or DELETE on /_rdslocal/experiments/<id>"
                           : "use GET or POST on /_rdslocal/experiments");
    }
    free(v);
}

bool admin_faults_handle(engine *e, const char *method, const char *path, const char *query, const char *body,
                         size_t body_len, admin_response *out)
{
    int64_t id = 0;
    int r;
    if ((r = route_id(path, "/_rdslocal/faults", &id)) >= 0) {
        faults_route(e, method, id, r == 1, query, body, body_len, out);
        return true;
    }
    if ((r = route_id(path, "/_rdslocal/experiments", &id)) >= 0) {
        experiments_route(e, method, id, r == 1, body, body_len, out);
        return true;
    }
    if (strncmp(path, "/_rdslocal/faults/", 18) == 0 || strncmp(path, "/_rdslocal/experiments/", 23) == 0) {
        error_reply(out, 404, "ResourceNotFoundFault", "a fault or experiment id is a positive number");
        return true;
    }
    return false;
}
