/* encryption.c: what KMS key states do to encrypted instances (issue 8 part 5). */
#include "instances/instances.h"

void engine__instances_key_unusable(engine_req *r, const char *key_arn)
{
    (void)r;
    (void)key_arn;
}
