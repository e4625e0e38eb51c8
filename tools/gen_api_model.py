#!/usr/bin/env python3
"""Generate one service's botocore model as C data: server/generated/<svc>_model.c
and server/generated/<svc>_model.h (contract of the .c: server/api_model.h).

Usage:
    python3 tools/gen_api_model.py SERVICE [--data DIR] [--out DIR]
    python3 tools/gen_api_model.py SERVICE [--data DIR] --operations   # names, one a line

SERVICE is botocore's directory name ("rds", "kms", "secretsmanager", "sts", "sns",
"ec2"). The model is DIR/SERVICE/<newest api version>/service-2.json[.gz]; DIR defaults
to the installed botocore package's data directory. --out defaults to server/generated
(relative to the repository root). Nothing in this script is specific to one service.

The .c file holds:
  * every shape reachable from an operation's input or output, as one
    `static const api_shape shape_<Name>` (forward-declared first, so recursive
    references work), in name order; structure members stay in model order;
  * one `api_operation` row per operation, sorted by strcmp on the name, with the
    NULL-terminated list of AWS error codes (exception shape's error.code, else the
    shape name), in model order without duplicates;
  * `const api_service <svc>_api` with the protocol, JSON version and target prefix.
The .h file declares `<svc>_api`, records the botocore version the data came from and
defines one constant per member wire name of every structure reachable from an
operation's input: `<SVC>_M_<Member>` expands to "<Member>" (the model's member name,
whatever the protocol's wire name). Handlers name
parameters through these, so a misspelt name does not compile.
Documentation strings are dropped. The output depends only on the model and the
botocore version, so it is deterministic.

Query-protocol wire names (what botocore's QuerySerializer sends, and what the
request decoder relies on):
  * A structure member's wire name is its "locationName" if the member reference has
    one, else its member name (api_member_wire_name()). Top-level input members are
    sent as `MemberWire=value`; nested structure members as `Prefix.MemberWire`.
  * A non-flattened list is sent as `Prefix.<element>.N` (N counts from 1), where
    <element> is the locationName of the list's member (api_shape.element_name) or
    "member" when that is NULL. An empty list is sent as `Prefix=` (empty value).
  * A flattened list is sent as `Prefix.N`.
  * A map is sent as `Prefix.entry.N.key` / `Prefix.entry.N.value`.
  * Booleans are "true"/"false", timestamps ISO 8601, blobs base64.
JSON protocol: members by member name, lists as arrays, maps as objects, blobs base64,
timestamps as epoch seconds.
"""
import gzip, json, os, re, sys

TYPES = {
    "string": "AT_STRING", "integer": "AT_INTEGER", "long": "AT_LONG",
    "boolean": "AT_BOOLEAN", "double": "AT_DOUBLE", "float": "AT_DOUBLE",
    "timestamp": "AT_TIMESTAMP", "blob": "AT_BLOB", "list": "AT_LIST",
    "structure": "AT_STRUCTURE", "map": "AT_MAP",
}
PROTOCOLS = {
    "query": "AP_QUERY", "ec2": "AP_EC2", "json": "AP_JSON", "rest-json": "AP_REST_JSON",
    "rest-xml": "AP_REST_XML", "smithy-rpc-v2-cbor": "AP_RPC_V2_CBOR",
}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def botocore_data():
    import botocore
    return os.path.join(os.path.dirname(botocore.__file__), "data")


def botocore_version():
    try:
        import botocore
        return botocore.__version__
    except ImportError:
        return "unknown"


def model_path(data, service):
    base = os.path.join(data, service)
    if not os.path.isdir(base):
        sys.exit("no botocore model for service %r in %s" % (service, data))
    for version in sorted(os.listdir(base), reverse=True):
        for name in ("service-2.json", "service-2.json.gz"):
            p = os.path.join(base, version, name)
            if os.path.exists(p):
                return p
    sys.exit("no service-2.json for %r in %s" % (service, base))


def load(p):
    opener = gzip.open if p.endswith(".gz") else open
    with opener(p, "rt", encoding="utf-8") as f:
        return json.load(f)


def cstr(s):
    """A C string literal: escapes quotes, backslashes, non-printables, non-ASCII
    (as 3-digit octal, which cannot swallow following digits) and "??" (trigraphs)."""
    if s is None:
        return "NULL"
    out = []
    prev = ""
    for b in s.encode("utf-8"):
        c = chr(b)
        if c == '"' or c == "\\":
            out.append("\\" + c)
        elif c == "?" and prev == "?":
            out.append("\\?")
        elif 0x20 <= b < 0x7F:
            out.append(c)
        else:
            out.append("\\%03o" % b)
        prev = c
    return '"' + "".join(out) + '"'


def num(v):
    v = float(v)
    return repr(int(v)) + ".0" if v.is_integer() else repr(v)


def cident(s):
    return re.sub(r"[^A-Za-z0-9_]", "_", s)


def walk(model, roots):
    shapes = model["shapes"]
    seen = set()
    stack = list(roots)
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        s = shapes[n]
        t = s["type"]
        if t == "structure":
            stack.extend(m["shape"] for m in s["members"].values())
        elif t == "list":
            stack.append(s["member"]["shape"])
        elif t == "map":
            stack.extend((s["key"]["shape"], s["value"]["shape"]))
    return sorted(seen)


def reachable(model):
    roots = []
    for op in model["operations"].values():
        for k in ("input", "output"):
            if k in op:
                roots.append(op[k]["shape"])
    return walk(model, roots)


def input_member_names(model):
    """Member names of every structure reachable from an input: the protocol-neutral
    names param_get() takes (wire names differ by protocol: locationName, queryName)."""
    roots = [op["input"]["shape"] for op in model["operations"].values() if "input" in op]
    names = set()
    for n in walk(model, roots):
        s = model["shapes"][n]
        if s["type"] == "structure":
            for mname, ref in s["members"].items():
                names.add(mname)
    return sorted(names)


def error_code(model, shape_name):
    s = model["shapes"].get(shape_name, {})
    return s.get("error", {}).get("code", shape_name)


def emit_c(model, service, out):
    shapes = model["shapes"]
    md = model["metadata"]
    names = reachable(model)
    w = out.write
    w("/* %s_model.c: the botocore %s service model as C data (contract: server/api_model.h).\n"
      % (service, service))
    w(" * GENERATED by tools/gen_api_model.py from the botocore model %s; do not edit.\n"
      % md.get("uid", md.get("apiVersion")))
    w(" * Regenerate: python3 tools/gen_api_model.py %s */\n" % service)
    w('#include "%s_model.h"\n\n' % service)

    w("/* Shapes, forward-declared so recursive references work. */\n")
    for n in names:
        w("static const api_shape shape_%s;\n" % n)
    w("\n")

    for n in names:
        s = shapes[n]
        if s["type"] == "string" and s.get("enum"):
            w("static const char *const enums_%s[] = {\n" % n)
            for e in s["enum"]:
                w("    %s,\n" % cstr(e))
            w("};\n")
    w("\n")

    for n in names:
        s = shapes[n]
        if s["type"] != "structure" or not s["members"]:
            continue
        req = set(s.get("required", []))
        w("static const api_member members_%s[] = {\n" % n)
        for mname, ref in s["members"].items():
            qn = cstr(ref.get("queryName"))
            w("    { %s, %s, &shape_%s, %s, %s },\n" % (
                cstr(mname), cstr(ref.get("locationName")), ref["shape"],
                "true" if mname in req else "false", qn))
        w("};\n")
    w("\n")

    for n in names:
        s = shapes[n]
        t = s["type"]
        if t not in TYPES:
            sys.exit("unsupported shape type %s for %s" % (t, n))
        f = [".name = %s" % cstr(n), ".type = %s" % TYPES[t]]
        if t == "structure" and s["members"]:
            f.append(".members = members_%s" % n)
            f.append(".n_members = %d" % len(s["members"]))
        elif t == "list":
            f.append(".element = &shape_%s" % s["member"]["shape"])
            if s["member"].get("locationName"):
                f.append(".element_name = %s" % cstr(s["member"]["locationName"]))
            if s.get("flattened") or s["member"].get("flattened"):
                f.append(".flattened = true")
        elif t == "map":
            f.append(".map_key = &shape_%s" % s["key"]["shape"])
            f.append(".map_value = &shape_%s" % s["value"]["shape"])
            if s.get("flattened"):
                f.append(".flattened = true")
        if t == "string" and s.get("enum"):
            f.append(".enums = enums_%s" % n)
            f.append(".n_enums = %d" % len(s["enum"]))
        if "min" in s:
            f.append(".has_min = true, .min = %s" % num(s["min"]))
        if "max" in s:
            f.append(".has_max = true, .max = %s" % num(s["max"]))
        if s.get("pattern") is not None:
            f.append(".pattern = %s" % cstr(s["pattern"]))
        if s.get("exception"):
            f.append(".is_exception = true")
        w("static const api_shape shape_%s = { %s };\n" % (n, ", ".join(f)))
    w("\n")

    ops = sorted(model["operations"].values(), key=lambda o: o["name"].encode("utf-8"))
    if any(not op.get("errors") for op in ops):
        w("static const char *const errors_none[] = { NULL };\n")
    for op in ops:
        codes = []
        for e in op.get("errors", []):
            c = error_code(model, e["shape"])
            if c not in codes:
                codes.append(c)
        if codes:
            w("static const char *const errors_%s[] = { %s, NULL };\n"
              % (op["name"], ", ".join(cstr(c) for c in codes)))
    w("\n")

    w("static const api_operation ops[] = {\n")
    for op in ops:
        inp = "&shape_%s" % op["input"]["shape"] if "input" in op else "NULL"
        outp = "&shape_%s" % op["output"]["shape"] if "output" in op else "NULL"
        rw = op.get("output", {}).get("resultWrapper")
        errs = "errors_%s" % op["name"] if op.get("errors") else "errors_none"
        w("    { %s, %s, %s, %s, %s },\n" % (cstr(op["name"]), inp, outp, cstr(rw), errs))
    w("};\n\n")

    proto = md.get("protocol") or (md.get("protocols") or ["query"])[0]
    if proto not in PROTOCOLS:
        sys.exit("unsupported protocol %s" % proto)
    w("const api_service %s_api = {\n" % cident(service))
    w("    .name = %s,\n" % cstr(md.get("signingName") or md.get("endpointPrefix")))
    w("    .service_id = %s,\n" % cstr(service))
    w("    .api_version = %s,\n" % cstr(md["apiVersion"]))
    w("    .xml_namespace = %s,\n" % cstr(md.get("xmlNamespace")))
    w("    .protocol = %s,\n" % PROTOCOLS[proto])
    w("    .json_version = %s,\n" % cstr(md.get("jsonVersion")))
    w("    .target_prefix = %s,\n" % cstr(md.get("targetPrefix")))
    w("    .ops = ops,\n")
    w("    .n_ops = %d,\n" % len(ops))
    w("};\n")


def emit_h(model, service, out):
    md = model["metadata"]
    up = cident(service).upper()
    guard = "RDSLOCAL_%s_MODEL_H" % up
    w = out.write
    w("/* %s_model.h: the generated botocore %s model (data in %s_model.c) and one constant\n"
      % (service, service, service))
    w(" * per input member name, so that a misspelt parameter name is a compile error.\n")
    w(" * GENERATED by tools/gen_api_model.py from the botocore model %s; do not edit.\n"
      % md.get("uid", md.get("apiVersion")))
    w(" * Regenerate: python3 tools/gen_api_model.py %s */\n" % service)
    w("#ifndef %s\n#define %s\n\n" % (guard, guard))
    w('#include "api_model.h"\n\n')
    w("/* The botocore release this file was generated from. */\n")
    w("#define %s_MODEL_BOTOCORE_VERSION %s\n\n" % (up, cstr(botocore_version())))
    w("extern const api_service %s_api;\n\n" % cident(service))
    w("/* Input member names (param_get() and friends). */\n")
    for n in input_member_names(model):
        w("#define %s_M_%s %s\n" % (up, cident(n), cstr(n)))
    w("\n#endif\n")


def main():
    args = sys.argv[1:]
    data, out_dir, ops_only, service = None, None, False, None
    while args:
        a = args.pop(0)
        if a == "--data" and args:
            data = args.pop(0)
        elif a == "--out" and args:
            out_dir = args.pop(0)
        elif a == "--operations":
            ops_only = True
        elif not a.startswith("-") and service is None:
            service = a
        else:
            service = None
            break
    if not service:
        sys.exit("usage: gen_api_model.py SERVICE [--data DIR] [--out DIR] [--operations]")
    model = load(model_path(data or botocore_data(), service))
    if ops_only:
        names = sorted((o["name"] for o in model["operations"].values()),
                       key=lambda s: s.encode("utf-8"))
        try:
            sys.stdout.write("".join(n + "\n" for n in names))
            sys.stdout.flush()
        except BrokenPipeError:  # e.g. piped into head
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return
    out_dir = out_dir or os.path.join(ROOT, "server", "generated")
    os.makedirs(out_dir, exist_ok=True)
    base = os.path.join(out_dir, "%s_model" % cident(service))
    with open(base + ".c", "w", encoding="utf-8") as f:
        emit_c(model, service, f)
    with open(base + ".h", "w", encoding="utf-8") as f:
        emit_h(model, service, f)


if __name__ == "__main__":
    main()
