/* query.c: form decoding and the shape-driven parameter decoder (see query.h). */
#include "query.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..n) into the arena; NULL and *bad on a bad escape. A NUL byte
 * (raw or %00) sets *nul: a C string would silently cut the value there
 * ("DescribeDBInstances%00Junk" would run DescribeDBInstances), so the caller refuses it. */
static char *url_decode(arena *a, const char *s, size_t n, bool *bad, bool *nul)
{
    char *out = arena_alloc(a, n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%') {
            int h = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
            int l = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
            if (h < 0 || l < 0) {
                *bad = true;
                return NULL;
            }
            *o++ = (char)(h * 16 + l);
            *nul |= h == 0 && l == 0;
            i += 2;
        } else {
            *o++ = s[i];
            *nul |= s[i] == '\0';
        }
    }
    *o = '\0';
    return out;
}

/* Strict UTF-8 check (no overlongs, no surrogates, no NUL). */
static bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x80) { p++; continue; }
        int len; unsigned cp;
        if ((*p & 0xE0) == 0xC0) { len = 2; cp = *p & 0x1F; }
        else if ((*p & 0xF0) == 0xE0) { len = 3; cp = *p & 0x0F; }
        else if ((*p & 0xF8) == 0xF0) { len = 4; cp = *p & 0x07; }
        else return false;
        for (int k = 1; k < len; k++) {
            if ((p[k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[k] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        p += len;
    }
    return true;
}

static int pair_cmp(const void *a, const void *b)
{
    return strcmp(((const form_pair *)a)->key, ((const form_pair *)b)->key);
}

/* Sort order for parsing: by key, then by position in the request, so that "the first of
 * duplicate keys wins" holds whatever qsort's stability. */
static int pair_cmp_pos(const void *a, const void *b)
{
    const form_pair *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

int query_form_parse(form *out, arena *a, const char *body, size_t len, rds_error *err)
{
    size_t cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += body[i] == '&';
    form_pair *pairs = arena_alloc(a, cap * sizeof *pairs);
    size_t n = 0, i = 0;
    while (i < len) {
        size_t start = i;
        while (i < len && body[i] != '&')
            i++;
        size_t seg = i - start;
        i++;
        if (seg == 0)
            continue;
        const char *eq = memchr(body + start, '=', seg);
        size_t klen = eq ? (size_t)(eq - (body + start)) : seg;
        bool bad = false, nul = false;
        char *k = url_decode(a, body + start, klen, &bad, &nul);
        char *v = eq ? url_decode(a, eq + 1, seg - klen - 1, &bad, &nul) : arena_strdup(a, "");
        if (bad)
            return rds_fail(err, RDS_E_MALFORMED_QUERY_STRING,
                            "Query string contains an invalid percent-encoded sequence");
        if (nul)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                            "Request parameters must not contain the NUL character (%%00)");
        if (!utf8_valid(k) || !utf8_valid(v))
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                            "Invalid UTF-8 in the request parameters");
        pairs[n].key = k;
        pairs[n].value = v;
        pairs[n].pos = n;
        n++;
    }
    qsort(pairs, n, sizeof *pairs, pair_cmp_pos);
    /* Keep the first of duplicate keys (botocore never repeats one; AWS leaves it undefined). */
    size_t w = 0;
    for (size_t r = 0; r < n; r++)
        if (w == 0 || strcmp(pairs[w - 1].key, pairs[r].key) != 0)
            pairs[w++] = pairs[r];
    out->pairs = pairs;
    out->n = w;
    return 0;
}

void param_append(arena *a, param *p, size_t *cap, param *key, param *item)
{
    assert(!key || p->map_keys);
    if (p->n_items == *cap) {
        param **items = arena_alloc(a, *cap * 2 * sizeof *items);
        memcpy(items, p->items, *cap * sizeof *items);
        p->items = items;
        if (p->map_keys) {
            param **keys = arena_alloc(a, *cap * 2 * sizeof *keys);
            memcpy(keys, p->map_keys, *cap * sizeof *keys);
            p->map_keys = keys;
        }
        *cap *= 2;
    }
    if (key)
        p->map_keys[p->n_items] = key;
    p->items[p->n_items++] = item;
}

const char *query_form_get(const form *f, const char *key)
{
    form_pair k = { .key = key };
    const form_pair *p = bsearch(&k, f->pairs, f->n, sizeof *f->pairs, pair_cmp);
    return p ? p->value : NULL;
}

/* Is there any key equal to prefix or starting with prefix + "."? */
static bool form_has_prefix(const form *f, const char *prefix)
{
    size_t lo = 0, hi = f->n, plen = strlen(prefix);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(f->pairs[mid].key, prefix) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < f->n; i++) {
        const char *k = f->pairs[i].key;
        if (strncmp(k, prefix, plen) != 0)
            return false;
        if (k[plen] == '\0' || k[plen] == '.')
            return true;
        /* keys like "Prefix1..." sort between; keep scanning while the prefix matches */
    }
    return false;
}

enum { MAX_DEPTH = 12, MAX_LIST_ITEMS = 1000 };

/* Wire-name dialects: the query protocol, and EC2's variant of it. */
typedef enum { DIALECT_QUERY, DIALECT_EC2 } dialect;

static int decode_value(param **out, arena *a, const form *f, const api_shape *s, const char *key,
                        const char *member_name, int depth, dialect dl, rds_error *err);

static int bad_value(rds_error *err, const char *name, const char *text)
{
    return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid value '%.100s' for parameter %s.",
                    text, name);
}

static int decode_scalar(param *p, const api_shape *s, const char *text, const char *name, rds_error *err)
{
    p->text = text;
    p->len = strlen(text);
    switch (s->type) {
    case AT_STRING:
        if (s->n_enums) {
            bool ok = false;
            for (size_t i = 0; i < s->n_enums && !ok; i++)
                ok = strcmp(s->enums[i], text) == 0;
            if (!ok)
                return bad_value(err, name, text);
        }
        if (s->has_min && strlen(text) < (size_t)s->min)
            return bad_value(err, name, text);
        if (s->has_max && strlen(text) > (size_t)s->max)
            return bad_value(err, name, text);
        return 0;
    case AT_INTEGER:
    case AT_LONG: {
        char *end;
        errno = 0;
        if (!(isdigit((unsigned char)text[0]) || (text[0] == '-' && isdigit((unsigned char)text[1]))))
            return bad_value(err, name, text); /* strtoll would skip spaces and take a '+' */
        long long v = strtoll(text, &end, 10);
        if (!*text || *end || errno || (s->type == AT_INTEGER && (v > 2147483647LL || v < -2147483648LL)))
            return bad_value(err, name, text);
        if ((s->has_min && v < s->min) || (s->has_max && v > s->max))
            return bad_value(err, name, text);
        p->i = v;
        return 0;
    }
    case AT_DOUBLE: {
        char *end;
        p->d = strtod(text, &end);
        return (*text && !*end) ? 0 : bad_value(err, name, text);
    }
    case AT_BOOLEAN:
        if (strcasecmp(text, "true") == 0) p->b = true;
        else if (strcasecmp(text, "false") == 0) p->b = false;
        else return bad_value(err, name, text);
        return 0;
    case AT_TIMESTAMP:
        return rds_time_parse(text, &p->i) == 0 ? 0 : bad_value(err, name, text);
    case AT_BLOB:
        return 0;
    default:
        return 0;
    }
}

/* EC2's serializer names a member by its queryName, else its locationName with the first
 * letter upper-cased, else its member name. */
static const char *ec2_name(arena *a, const api_member *m)
{
    if (m->query_name)
        return m->query_name;
    if (!m->location_name)
        return m->name;
    char *n = arena_strdup(a, m->location_name);
    n[0] = (char)toupper((unsigned char)n[0]);
    return n;
}

static int decode_struct(param *p, arena *a, const form *f, const api_shape *s, const char *prefix,
                         int depth, dialect dl, rds_error *err)
{
    p->n_items = s->n_members;
    p->items = arena_alloc(a, (s->n_members ? s->n_members : 1) * sizeof *p->items);
    for (size_t i = 0; i < s->n_members; i++) {
        const api_member *m = &s->members[i];
        const char *wire = dl == DIALECT_EC2 ? ec2_name(a, m) : api_member_wire_name(m);
        const char *key = *prefix ? arena_printf(a, "%s.%s", prefix, wire) : wire;
        if (decode_value(&p->items[i], a, f, m->shape, key, wire, depth + 1, dl, err))
            return -1;
        if (m->required && !p->items[i])
            return rds_fail(err, RDS_E_MISSING_PARAMETER,
                            "The request must contain the parameter %s", wire);
    }
    return 0;
}

static int decode_value(param **out, arena *a, const form *f, const api_shape *s, const char *key,
                        const char *member_name, int depth, dialect dl, rds_error *err)
{
    *out = NULL;
    if (depth > MAX_DEPTH)
        return 0;
    param *p;
    switch (s->type) {
    case AT_STRUCTURE:
        if (!form_has_prefix(f, key))
            return 0;
        p = arena_alloc(a, sizeof *p);
        p->shape = s;
        if (decode_struct(p, a, f, s, key, depth, dl, err))
            return -1;
        break;
    case AT_LIST: {
        /* "Name" alone (empty list) is how botocore sends an empty list. */
        if (!form_has_prefix(f, key))
            return 0;
        p = arena_alloc(a, sizeof *p);
        p->shape = s;
        const char *elem = s->element_name ? s->element_name : "member";
        size_t cap = 4;
        p->items = arena_alloc(a, cap * sizeof *p->items);
        for (size_t n = 1; n <= MAX_LIST_ITEMS; n++) {
            /* EC2 sends every list flattened: Name.N */
            const char *ek = s->flattened || dl == DIALECT_EC2 ? arena_printf(a, "%s.%zu", key, n)
                                                               : arena_printf(a, "%s.%s.%zu", key, elem, n);
            param *item;
            if (decode_value(&item, a, f, s->element, ek, member_name, depth + 1, dl, err))
                return -1;
            if (!item)
                break;
            param_append(a, p, &cap, NULL, item);
        }
        if ((s->has_min && p->n_items < (size_t)s->min) || (s->has_max && p->n_items > (size_t)s->max))
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                            "Invalid number of values for parameter %s.", member_name);
        break;
    }
    case AT_MAP: {
        if (!form_has_prefix(f, key))
            return 0;
        p = arena_alloc(a, sizeof *p);
        p->shape = s;
        size_t cap = 4;
        p->items = arena_alloc(a, cap * sizeof *p->items);
        p->map_keys = arena_alloc(a, cap * sizeof *p->map_keys);
        for (size_t n = 1; n <= MAX_LIST_ITEMS; n++) {
            param *k, *v;
            if (decode_value(&k, a, f, s->map_key, arena_printf(a, "%s.entry.%zu.key", key, n),
                             member_name, depth + 1, dl, err) ||
                decode_value(&v, a, f, s->map_value, arena_printf(a, "%s.entry.%zu.value", key, n),
                             member_name, depth + 1, dl, err))
                return -1;
            if (!k)
                break;
            param_append(a, p, &cap, k, v);
        }
        break;
    }
    default: {
        const char *text = query_form_get(f, key);
        if (!text)
            return 0;
        p = arena_alloc(a, sizeof *p);
        p->shape = s;
        if (decode_scalar(p, s, text, member_name, err))
            return -1;
        break;
    }
    }
    *out = p;
    return 0;
}

static int decode_root(param **out, arena *a, const form *f, const api_shape *shape, dialect dl,
                       rds_error *err)
{
    assert(out && a && f);
    param *p = arena_alloc(a, sizeof *p);
    p->shape = shape;
    if (shape && decode_struct(p, a, f, shape, "", 0, dl, err))
        return -1;
    *out = p;
    return 0;
}

int query_decode(param **out, arena *a, const form *f, const api_shape *shape, rds_error *err)
{
    return decode_root(out, a, f, shape, DIALECT_QUERY, err);
}

int query_decode_ec2(param **out, arena *a, const form *f, const api_shape *shape, rds_error *err)
{
    return decode_root(out, a, f, shape, DIALECT_EC2, err);
}

const param *param_get(const param *p, const char *name)
{
    assert(name);
    if (!p || !p->shape || p->shape->type != AT_STRUCTURE)
        return NULL;
    assert(p->n_items == p->shape->n_members); /* a tree built by a front-end decoder */
    for (size_t i = 0; i < p->shape->n_members; i++)
        if (strcmp(p->shape->members[i].name, name) == 0)
            return p->items[i];
    assert(!"param_get: not a member of the structure's shape");
    return NULL;
}

const char *param_str(const param *p, const char *name)
{
    const param *v = param_get(p, name);
    return v ? v->text : NULL;
}

bool param_int(const param *p, const char *name, int64_t *out)
{
    const param *v = param_get(p, name);
    if (!v || !v->text)
        return false;
    *out = v->i;
    return true;
}

bool param_bool(const param *p, const char *name, bool *out)
{
    const param *v = param_get(p, name);
    if (!v || !v->text)
        return false;
    *out = v->b;
    return true;
}
