/* fuzz_dispatch.c: libFuzzer targets for the request path. Two modes from one source:
 *
 * - fuzz_dispatch (default): the input is "<header lines>\n\n<body>" (no blank line: all
 *   body). Header lines are "Name: value" (Authorization, or X-No-Auth to send none),
 *   "?<query string>" and "GET". Without an Authorization line a valid-looking SigV4
 *   header is sent, so most inputs reach the action table. dispatch_request() runs on one
 *   no-engine engine opened in LLVMFuzzerInitialize in a temp state dir; every
 *   RESET_EVERY inputs the engine is reset so the store does not grow without bound.
 *   Oracle: besides the sanitizers, every answer must be well-formed XML with a status.
 *
 * - fuzz_query (-DFUZZ_QUERY): byte 0 picks an operation of the model, the rest is a form
 *   body: query_form_parse, query_decode against the operation's input shape, then every
 *   decoded string is written with the XML writer, whose output must parse.
 *
 * Build and run: tests/fuzz/run_fuzz.sh SECONDS. */
#include "temp_engine.h"
#include "dispatch.h"
#include "respcache.h"

#include <dirent.h>
#include <libxml/parser.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts (a crash for libFuzzer) if doc is not well-formed XML. */
static void must_parse(const char *doc, size_t len, const char *what)
{
    xmlDocPtr d = xmlReadMemory(doc, (int)len, "fuzz.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!d) {
        fprintf(stderr, "%s: not well-formed XML (%zu bytes):\n%.*s\n", what, len, (int)len, doc);
        abort();
    }
    xmlFreeDoc(d);
}

#ifdef FUZZ_QUERY

/* ---- mode 2: form parsing and shape decoding ---- */

static const char NS[] = "http://rds.amazonaws.com/doc/2014-10-31/";

static void render(xml_out *x, const param *p, int depth)
{
    if (!p || depth > 64)
        return;
    if (p->text)
        xml_str(x, "V", p->text);
    for (size_t i = 0; p->items && i < p->n_items; i++) {
        if (p->map_keys && p->map_keys[i])
            render(x, p->map_keys[i], depth + 1);
        render(x, p->items[i], depth + 1);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    log_min_level = (log_level)(LOG_ERROR + 1);
    xmlInitParser();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    /* the implemented operations first (most inputs), then any operation of the model */
    const api_operation *op;
    size_t nrows;
    const action_def *rows = dispatch_table(&nrows);
    if (data[0] < 128)
        op = api_find_operation(rows[data[0] % nrows].service, rows[data[0] % nrows].name);
    else
        op = &rds_api.ops[(data[0] - 128u) % rds_api.n_ops];
    arena *a = arena_new();
    form f;
    rds_error err;
    rds_error_clear(&err);
    if (query_form_parse(&f, a, (const char *)data + 1, size - 1, &err) == 0) {
        param *p = NULL;
        for (size_t i = 0; i < f.n; i++)
            (void)query_form_get(&f, f.pairs[i].key);
        if (query_decode(&p, a, &f, op->input, &err) == 0) {
            if (!p)
                abort();
            int64_t iv;
            bool bv;
            for (size_t i = 0; op->input && i < op->input->n_members; i++) {
                const char *w = op->input->members[i].name;
                (void)param_str(p, w);
                (void)param_int(p, w, &iv);
                (void)param_bool(p, w, &bv);
            }
            xml_out *x = xml_begin(op->name, op->result_wrapper, NS);
            render(x, p, 0);
            size_t len;
            char *doc = xml_finish(x, "rid", &len);
            must_parse(doc, len, op->name);
            free(doc);
        } else if (err.code == RDS_OK) {
            abort(); /* failed without an error */
        }
    } else if (err.code != RDS_E_MALFORMED_QUERY_STRING && err.code != RDS_E_INVALID_PARAMETER_VALUE) {
        abort();
    }
    if (err.code != RDS_OK) {
        size_t len;
        char *doc = xml_error_doc(NS, true, rds_error_code_str(err.code), err.message, "rid", &len);
        must_parse(doc, len, "error");
        free(doc);
    }
    arena_free(a);
    return 0;
}

#else

/* ---- mode 1: the whole dispatcher ---- */

enum { RESET_EVERY = 256 };

static engine *E;
static char state_dir[64];
static unsigned long n_inputs;

static const char AUTH[] =
    "AWS4-HMAC-SHA256 Credential=test/20261127/us-east-1/rds/aws4_request, SignedHeaders=host, "
    "Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";


static void at_exit(void)
{
    engine_close(E);
    E = NULL;
    respcache_clear();
    rm_tree(state_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    log_min_level = (log_level)(LOG_ERROR + 1);
    xmlInitParser();
    snprintf(state_dir, sizeof state_dir, "/tmp/rdslocal-fuzz-XXXXXX");
    E = temp_engine_open(state_dir);
    atexit(at_exit);
    return 0;
}

typedef struct fz_headers {
    const char *authorization; /* NULL: none */
    const char *content_type;
} fz_headers;

static const char *header(void *ctx, const char *name)
{
    const fz_headers *h = ctx;
    if (strcasecmp(name, "Authorization") == 0)
        return h->authorization;
    if (strcasecmp(name, "Content-Type") == 0)
        return h->content_type;
    if (strcasecmp(name, "Host") == 0)
        return "localhost";
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena *a = arena_new();
    /* header part up to the first blank line (NUL-terminated copy) */
    const char *in = (const char *)data;
    const char *sep = NULL;
    for (size_t i = 0; i + 1 < size; i++)
        if (in[i] == '\n' && in[i + 1] == '\n') {
            sep = in + i;
            break;
        }
    fz_headers h = { AUTH, "application/x-www-form-urlencoded; charset=utf-8" };
    dispatch_request_in req = { .method = "POST", .path = "/", .query = "", .body = in,
                                .body_len = size, .header = header, .header_ctx = &h };
    if (sep) {
        char *hp = arena_strndup(a, in, (size_t)(sep - in));
        req.body = sep + 2;
        req.body_len = size - (size_t)(sep + 2 - in);
        char *save = NULL;
        for (char *line = strtok_r(hp, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            if (strcmp(line, "GET") == 0)
                req.method = "GET";
            else if (line[0] == '?')
                req.query = line + 1;
            else if (strncasecmp(line, "X-No-Auth", 9) == 0)
                h.authorization = NULL;
            else if (strncasecmp(line, "Authorization:", 14) == 0)
                h.authorization = line + 14 + (line[14] == ' ');
            else if (strncasecmp(line, "Content-Type:", 13) == 0)
                h.content_type = line + 13 + (line[13] == ' ');
        }
    }
    dispatch_response out;
    dispatch_request(E, a, &req, &out);
    if (!out.body || out.status < 200 || out.status > 599)
        abort();
    if (strlen(out.body) != out.body_len) {
        fprintf(stderr, "body length %zu but strlen %zu\n", out.body_len, strlen(out.body));
        abort();
    }
    must_parse(out.body, out.body_len, out.action ? out.action : "-");
    free(out.body);
    arena_free(a);

    if (++n_inputs % RESET_EVERY == 0) {
        rds_error err;
        rds_error_clear(&err);
        if (engine_reset(E, &err)) {
            fprintf(stderr, "engine_reset: %s (%s)\n", err.message, err.detail);
            abort();
        }
    }
    return 0;
}

#endif
