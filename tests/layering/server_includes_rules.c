/* server_includes_rules.c: compiled with the server library's include path and link
 * interface by the ctest unit_layering_server_cannot_include_rules, which expects the
 * compile to FAIL: the server reaches rules, store and supervisor only through
 * engine.h (issue #6). If this ever compiles, the layering is broken. */
#include "rdslocal/engine.h"
#include "rdslocal/rules.h"

int layering_probe(void);
int layering_probe(void)
{
    return rules_port(5432, NULL);
}
