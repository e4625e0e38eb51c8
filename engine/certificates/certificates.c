/* certificates.c: DescribeCertificates and the CA bundle. The CAs themselves are the
 * supervisor's (sv_tls.c: one per CA identifier, made once per state dir); this file
 * describes them as AWS does: CertificateType "CA", a SHA-1 thumbprint, validity,
 * CustomerOverride false (ModifyCertificates is not offered), and the default CA for new
 * launches flagged. Read-only: no lock, no store. */
#include "engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CA_INDEX 0 /* rds-ca-rsa2048-g1, as on AWS since 2024 */

static int not_found(const char *id, rds_error *err)
{
    return rds_fail(err, RDS_E_CERTIFICATE_NOT_FOUND, "Certificate %s not found.", id);
}

int engine_describe_certificates(engine_req *r, const char *id, const char *marker, int max_records,
                                 certificate_view **out, size_t *n_out, const char **next_marker, rds_error *err)
{
    *out = NULL;
    *n_out = 0;
    *next_marker = NULL;
    size_t start = 0;
    if (marker && marker[0]) {
        char *end;
        unsigned long v = strtoul(marker, &end, 10);
        if (*end || v > SV_TLS_NCA)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "The parameter Marker is not valid.");
        start = v;
    }
    if (id) {
        size_t i = 0;
        while (sv_tls_ca_id(i) && strcmp(sv_tls_ca_id(i), id) != 0)
            i++;
        if (!sv_tls_ca_id(i))
            return not_found(id, err);
        start = i;
        max_records = 1;
    }
    if (!r->e->sv)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "the supervisor is not running");
    certificate_view *v = arena_alloc(r->a, SV_TLS_NCA * sizeof *v);
    size_t n = 0, i = start;
    for (; i < SV_TLS_NCA && (int)n < max_records; i++) {
        sv_ca_info info;
        if (sv_tls_ca_info(r->e->sv, i, &info, err))
            return -1;
        v[n++] = (certificate_view){
            .id = arena_strdup(r->a, info.id),
            .type = "CA",
            .thumbprint = arena_strdup(r->a, info.thumbprint),
            .key_algorithm = arena_strdup(r->a, info.key_algorithm),
            .arn = arena_printf(r->a, "arn:aws:rds:%s::cert:%s", r->region, info.id),
            .valid_from_ms = info.valid_from_ms,
            .valid_till_ms = info.valid_till_ms,
            .customer_override = false,
            .default_for_new_launches = i == DEFAULT_CA_INDEX,
        };
    }
    if (!id && i < SV_TLS_NCA)
        *next_marker = arena_printf(r->a, "%zu", i);
    *out = v;
    *n_out = n;
    return 0;
}

int engine_ca_bundle(engine *e, char **pem, size_t *len, rds_error *err)
{
    *pem = NULL;
    *len = 0;
    if (!e->sv)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "the supervisor is not running");
    char path[1024];
    if (!sv_tls_bundle_path(e->sv, path, sizeof path, err))
        return -1;
    FILE *f = fopen(path, "r");
    if (!f)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not read the CA bundle");
    strbuf b;
    strbuf_init(&b);
    char buf[4096];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_append(&b, buf, k);
    fclose(f);
    *pem = b.data;
    *len = b.len;
    return 0;
}
