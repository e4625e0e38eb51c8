/* crypto.c: KMS cryptographic operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
 * GenerateDataKeyWithoutPlaintext. Only SYMMETRIC_DEFAULT keys exist, so the only
 * encryption algorithm is SYMMETRIC_DEFAULT. */
#include "kms/kms.h"

#include <string.h>

static const unsigned char *bytes_of(const param *in, const char *name, size_t *n)
{
    const param *p = param_get(in, name);
    *n = p ? p->len : 0;
    return p ? (const unsigned char *)p->text : NULL;
}

static int check_algorithm(const param *in, const char *name, rds_error *err)
{
    const char *alg = param_str(in, name);
    if (alg && strcmp(alg, "SYMMETRIC_DEFAULT") != 0)
        return rds_fail(err, RDS_E_KMS_INVALID_KEY_USAGE_EXCEPTION,
                        "Encryption algorithm %s is not supported by a SYMMETRIC_DEFAULT key", alg);
    return 0;
}

ACTION(Encrypt)
{
    size_t n, blob_n;
    const unsigned char *plain = bytes_of(in, KMS_M_Plaintext, &n);
    kms_context ctx = kms_act_context(rq, in, KMS_M_EncryptionContext);
    unsigned char *blob;
    const char *arn;
    if (check_algorithm(in, KMS_M_EncryptionAlgorithm, err) ||
        engine_kms_encrypt(&rq->er, param_str(in, KMS_M_KeyId), plain, n, &ctx, &blob, &blob_n, &arn, err))
        return -1;
    res_blob(x, "CiphertextBlob", blob, blob_n);
    res_str(x, "KeyId", arn);
    res_str(x, "EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    return 0;
}

ACTION(Decrypt)
{
    size_t n, plain_n;
    const unsigned char *blob = bytes_of(in, KMS_M_CiphertextBlob, &n);
    kms_context ctx = kms_act_context(rq, in, KMS_M_EncryptionContext);
    unsigned char *plain;
    const char *arn;
    if (check_algorithm(in, KMS_M_EncryptionAlgorithm, err) ||
        engine_kms_decrypt(&rq->er, param_str(in, KMS_M_KeyId), blob, n, &ctx, &plain, &plain_n, &arn, err))
        return -1;
    res_str(x, "KeyId", arn);
    res_blob(x, "Plaintext", plain, plain_n);
    res_str(x, "EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    return 0;
}

ACTION(ReEncrypt)
{
    size_t n, blob_n;
    const unsigned char *blob = bytes_of(in, KMS_M_CiphertextBlob, &n);
    kms_context src = kms_act_context(rq, in, KMS_M_SourceEncryptionContext);
    kms_context dst = kms_act_context(rq, in, KMS_M_DestinationEncryptionContext);
    unsigned char *out;
    const char *src_arn, *dst_arn;
    if (check_algorithm(in, KMS_M_SourceEncryptionAlgorithm, err) ||
        check_algorithm(in, KMS_M_DestinationEncryptionAlgorithm, err) ||
        engine_kms_reencrypt(&rq->er, param_str(in, KMS_M_SourceKeyId), blob, n, &src,
                             param_str(in, KMS_M_DestinationKeyId), &dst, &out, &blob_n, &src_arn, &dst_arn, err))
        return -1;
    res_blob(x, "CiphertextBlob", out, blob_n);
    res_str(x, "SourceKeyId", src_arn);
    res_str(x, "KeyId", dst_arn);
    res_str(x, "SourceEncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    res_str(x, "DestinationEncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    return 0;
}

/* KeySpec AES_256 / AES_128 or NumberOfBytes (1-1024): exactly one of them, as KMS wants. */
static int data_key_size(const param *in, size_t *n, rds_error *err)
{
    const char *spec = param_str(in, KMS_M_KeySpec);
    int64_t bytes;
    bool have_bytes = param_int(in, KMS_M_NumberOfBytes, &bytes);
    if ((spec != NULL) == have_bytes)
        return rds_fail(err, RDS_E_JSON_VALIDATION_EXCEPTION, "Please specify either number of bytes or key spec.");
    *n = spec ? (strcmp(spec, "AES_128") == 0 ? 16 : 32) : (size_t)bytes;
    return 0;
}

static int generate(req_ctx *rq, const param *in, res_out *x, bool with_plain, rds_error *err)
{
    size_t n = 0, blob_n;
    kms_context ctx = kms_act_context(rq, in, KMS_M_EncryptionContext);
    unsigned char *plain = NULL, *blob;
    const char *arn;
    if (data_key_size(in, &n, err) ||
        engine_kms_generate_data_key(&rq->er, param_str(in, KMS_M_KeyId), n, &ctx, with_plain ? &plain : NULL, &blob,
                                     &blob_n, &arn, err))
        return -1;
    res_blob(x, "CiphertextBlob", blob, blob_n);
    if (with_plain)
        res_blob(x, "Plaintext", plain, n);
    res_str(x, "KeyId", arn);
    return 0;
}

ACTION(GenerateDataKey)
{
    return generate(rq, in, x, true, err);
}

ACTION(GenerateDataKeyWithoutPlaintext)
{
    return generate(rq, in, x, false, err);
}

static const action_def rows[] = {
    { &kms_api, "Decrypt", act_Decrypt, 0 },
    { &kms_api, "Encrypt", act_Encrypt, 0 },
    { &kms_api, "GenerateDataKey", act_GenerateDataKey, 0 },
    { &kms_api, "GenerateDataKeyWithoutPlaintext", act_GenerateDataKeyWithoutPlaintext, 0 },
    { &kms_api, "ReEncrypt", act_ReEncrypt, 0 },
};
DISPATCH_FAMILY(kms_crypto, rows);
