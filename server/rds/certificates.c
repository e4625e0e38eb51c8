/* certificates.c: DescribeCertificates (the CAs rdslocal keeps per state dir; see
 * engine/certificates). Filters are accepted and, as on AWS ("not currently supported"),
 * ignored. */
#include "rds.h"

ACTION(DescribeCertificates)
{
    int max_records;
    if (act_max_records(in, 100, &max_records, err))
        return -1;
    certificate_view *v;
    size_t n;
    const char *next = NULL;
    if (engine_describe_certificates(&rq->er, param_str(in, RDS_M_CertificateIdentifier), param_str(in, RDS_M_Marker),
                                     max_records, &v, &n, &next, err))
        return -1;
    res_str(x, "DefaultCertificateForNewLaunches", "rds-ca-rsa2048-g1");
    res_list(x, "Certificates");
    for (size_t i = 0; i < n; i++) {
        res_struct(x, "Certificate");
        res_str(x, "CertificateIdentifier", v[i].id);
        res_str(x, "CertificateType", v[i].type);
        res_str(x, "Thumbprint", v[i].thumbprint);
        res_time(x, "ValidFrom", v[i].valid_from_ms);
        res_time(x, "ValidTill", v[i].valid_till_ms);
        res_str(x, "CertificateArn", v[i].arn);
        res_bool(x, "CustomerOverride", v[i].customer_override);
        res_close(x);
    }
    res_close(x);
    res_str(x, "Marker", next);
    return 0;
}

static const action_def rows[] = {
    { &rds_api, "DescribeCertificates", act_DescribeCertificates, AF_CACHEABLE },
};
DISPATCH_FAMILY(rds_certificates, rows);
