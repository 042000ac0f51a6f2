#!/usr/bin/env python3
"""Checks the Market controller schema drafts.

1. Loads every draft schema (schemas/ beside this file) and every schema of the repository
   (the repository's schemas/**, for the `../envelope/...` and `../types/DateTime.json` references)
   into one `referencing` registry keyed by `$id`.
2. Lints the drafts against the project's conventions (allowed keywords, `$ref` siblings,
   descriptions, unique titles, tagged unions, flag sets, topic arguments, reply topics).
3. Validates every example embedded in the drafts (all must pass).
4. Classifies every example message of the Market fact table (market.json): dispatched by
   Controller, Topic, Action and direction to a schema, then `valid`, `invalid` (with the
   failing keyword and JSON Pointer) or `not-json`. A `not-json` example is also given a
   best-effort JavaScript-to-JSON repair (wrapper call, comments, `...` lines, unquoted keys,
   trailing commas, several messages in one block) and classified again, for information.
5. Compares the results with the table in DECISIONS.md and checks that DECISIONS.md has one
   bullet per quirk of market.json.

Besides standard JSON Schema, the validator applies the project annotations the generator
turns into checks: `x-zenith-flags` (each member of a separated set must be in its code table;
spaces around members are tolerated), `x-zenith-known` (a value outside an open code table is
a warning, not an error) and `x-zenith.arguments` (the topic arguments' derived pattern).

Usage: python3 check.py [--print-table]
"""
import glob
import json
import os
import re
import sys
from urllib.parse import urljoin

import referencing
import referencing.jsonschema
from jsonschema import Draft202012Validator, ValidationError, validators

HERE = os.path.dirname(os.path.abspath(__file__))
DRAFTS = os.path.join(HERE, "schemas")
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
MAIN = os.path.join(REPO, "schemas")
FACTS = os.path.join(REPO, "..", "shared", "spec", "zenith-api", "market.json")
DECISIONS = os.path.join(HERE, "DECISIONS.md")
BASE = "https://zenith-protocol.invalid/schemas/"

# Title clashes with the repository's schemas that DECISIONS.md resolves at merge time.
KNOWN_TITLE_CLASHES = {
    "FeedStatus": "zenith/Feeds.push.json defines FeedStatus inline; at merge it becomes "
                  "{\"$ref\": \"../types/FeedStatus.json\"} (the shared open table)",
}

ALLOWED = {
    "$schema", "$comment", "$id", "$ref", "$defs", "title", "description", "type", "properties",
    "required", "additionalProperties", "items", "enum", "const", "pattern", "format", "minLength",
    "maxLength", "examples", "default", "oneOf", "x-zenith", "x-zenith-secret", "x-zenith-runtime",
    "x-zenith-tag", "x-zenith-flags", "x-zenith-known",
}
REF_SIBLINGS = {"$ref", "$id", "$schema", "$defs", "$comment", "title", "description", "examples",
                "const", "default", "x-zenith-secret"}
BRANCH_KEYS = {"title", "description", "properties", "required"}
ENVELOPE_PROPS = {"Controller", "Topic", "Action", "TransactionID", "Confirm"}

problems = []      # lint and example failures: each makes the run fail
notes = []         # merge notes, printed but not failures


def rel(path):
    return os.path.relpath(path, HERE)


# ------------------------------------------------------------------------------------ loading
def load_dir(root):
    out = {}
    for path in sorted(glob.glob(os.path.join(root, "**", "*.json"), recursive=True)):
        with open(path) as f:
            out[path] = json.load(f)
    return out


drafts = load_dir(DRAFTS)
mains = load_dir(MAIN)
by_id = {}
for path, doc in list(mains.items()) + list(drafts.items()):
    sid = doc.get("$id")
    if not sid:
        problems.append(f"{path}: no $id")
        continue
    if sid in by_id:
        problems.append(f"{path}: $id {sid} already used by {by_id[sid][0]}")
    by_id[sid] = (path, doc)
for path, doc in drafts.items():
    expected = BASE + os.path.relpath(path, DRAFTS).replace(os.sep, "/")
    if doc.get("$id") != expected:
        problems.append(f"{rel(path)}: $id should be {expected}")

registry = referencing.Registry().with_resources(
    (sid, referencing.Resource.from_contents(doc, default_specification=referencing.jsonschema.DRAFT202012))
    for sid, (_, doc) in by_id.items()
)

# Absolute URI of every x-zenith-flags code table, keyed by the node's identity (no draft
# nests an $id, so a node's base URI is its file's $id).
flag_tables = {}


def walk_nodes(node, fn, ptr=""):
    """Calls fn(node, pointer) on every schema node (not on annotation values)."""
    if isinstance(node, bool):
        fn(node, ptr)
        return
    if not isinstance(node, dict):
        return
    fn(node, ptr)
    for key in ("properties", "$defs"):
        for name, sub in node.get(key, {}).items():
            walk_nodes(sub, fn, f"{ptr}/{key}/{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), (dict, bool)):
            walk_nodes(node[key], fn, f"{ptr}/{key}")
    for i, sub in enumerate(node.get("oneOf", [])):
        walk_nodes(sub, fn, f"{ptr}/oneOf/{i}")


for sid, (path, doc) in by_id.items():
    def remember(node, ptr, sid=sid):
        if isinstance(node, dict) and "x-zenith-flags" in node:
            flag_tables[id(node)] = urljoin(sid, node["x-zenith-flags"]["codes"])
    walk_nodes(doc, remember)


def contents(uri):
    return registry.contents(uri)


# ------------------------------------------------------------------------------------ validator
warnings_sink = []


def topic_regex(topic, arguments):
    """The Topic pattern the generator derives from x-zenith.arguments."""
    alternatives = []
    for form in arguments["forms"]:
        out, i = "", 0
        while i < len(form):
            c = form[i]
            if c == "{":
                j = form.index("}", i)
                name = form[i + 1:j]
                pat = arguments["parts"][name]["pattern"]
                pat = pat[1:] if pat.startswith("^") else pat
                pat = pat[:-1] if pat.endswith("$") else pat
                out += f"(?P<{name}>{pat})"
                i = j + 1
            elif c == "[":
                out += "(?:"
                i += 1
            elif c == "]":
                out += ")?"
                i += 1
            else:
                out += re.escape(c)
                i += 1
        alternatives.append(out)
    return re.compile("^" + re.escape(topic) + "!(?:" + "|".join(alternatives) + ")$")


def check_flags(validator, value, instance, schema):
    if not isinstance(instance, str):
        return
    table = contents(flag_tables[id(schema)])
    sep = value["separator"]
    members = [] if instance.strip() == "" else [m.strip(" ") for m in instance.split(sep)]
    for m in members:
        if "enum" in table:
            if m not in table["enum"]:
                yield ValidationError(f"flag {m!r} of {instance!r} is not one of {table['enum']} ({table['title']})")
        elif m == "":
            yield ValidationError(f"empty member in flag set {instance!r}")
        elif m not in table.get("x-zenith-known", []):
            warnings_sink.append(f"unknown {table['title']} {m}")


def check_known(validator, value, instance, schema):
    if isinstance(instance, str) and instance not in value:
        warnings_sink.append(f"unknown {schema.get('title', 'code')} {instance}")
    return iter(())


def check_xzenith(validator, value, instance, schema):
    if not isinstance(instance, dict) or "arguments" not in value or "Topic" not in instance:
        return
    rx = topic_regex(value["topic"], value["arguments"])
    if not isinstance(instance["Topic"], str) or not rx.match(instance["Topic"]):
        yield ValidationError(f"Topic {instance['Topic']!r} does not match {rx.pattern}", path=["Topic"])


ZenithValidator = validators.extend(Draft202012Validator, {
    "x-zenith-flags": check_flags,
    "x-zenith-known": check_known,
    "x-zenith": check_xzenith,
})
# Every schema file names draft 2020-12 in `$schema`; jsonschema picks the validator class for a
# referenced document by that URI, so the extended class is registered for it, or the annotation
# checks would stop at the first `$ref`.
validators.validates("draft2020-12")(ZenithValidator)


def validator_for(sid):
    return ZenithValidator(contents(sid), registry=registry)


def findings(sid, instance, node=None):
    """Errors as 'keyword@/pointer' strings, and warnings as 'known@/pointer'-like strings."""
    v = validator_for(sid)
    if node is not None:
        v = v.evolve(schema=node)
    warnings_sink.clear()
    errs = []
    for e in v.iter_errors(instance):
        ptr = "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in e.absolute_path)
        kw = e.validator if not str(e.validator).startswith("x-zenith") else {"x-zenith-flags": "flags", "x-zenith": "topic"}[e.validator]
        errs.append((f"{kw}@{ptr}", e.message))
    warns = sorted(set(warnings_sink))
    return sorted(set(errs)), warns


# ------------------------------------------------------------------------------------ lint
titles = {}


def lint_file(path, doc):
    r = rel(path)
    is_message = "x-zenith" in doc

    def lint_node(node, ptr, in_branch=False, is_property=False, envelope_prop=False):
        where = f"{r}#{ptr}"
        if isinstance(node, bool):
            if not in_branch:
                problems.append(f"{where}: boolean schema outside a oneOf branch's properties")
            return
        unknown = set(node) - ALLOWED
        if unknown:
            problems.append(f"{where}: keywords not allowed: {sorted(unknown)}")
        if "$ref" in node:
            bad = set(node) - REF_SIBLINGS
            if bad:
                problems.append(f"{where}: not allowed beside $ref: {sorted(bad)}")
            target = urljoin(doc["$id"], node["$ref"])
            if target.split("#")[0] not in by_id:
                problems.append(f"{where}: $ref {node['$ref']} resolves to unknown {target}")
        if "title" in node:
            t = node["title"]
            if t in titles and titles[t] != where:
                problems.append(f"{where}: title {t} already used at {titles[t]}")
            titles[t] = where
        if is_property and not envelope_prop and "description" not in node:
            problems.append(f"{where}: property without description")
        if "properties" in node and node.get("type") != "object":
            problems.append(f"{where}: object schema without \"type\": \"object\"")
        if node.get("additionalProperties") is False:
            problems.append(f"{where}: additionalProperties false is not used")
        if isinstance(node.get("additionalProperties"), dict) and "properties" in node:
            problems.append(f"{where}: a map has no properties")
        for name in node.get("required", []):
            if name not in node.get("properties", {}):
                problems.append(f"{where}: required {name} is not a property")
        cm = node.get("$comment", "")
        if cm.startswith("Quirk:") and not ("Chosen:" in cm and ("because" in cm or "Chosen: nothing" in cm)):
            problems.append(f"{where}: a quirk comment says 'Quirk: ... Chosen: ..., because ...'")
        if "x-zenith-flags" in node:
            fl = node["x-zenith-flags"]
            if set(fl) != {"codes", "separator"} or node.get("type") != "string":
                problems.append(f"{where}: x-zenith-flags needs a string with codes and separator")
            table = contents(urljoin(doc["$id"], fl["codes"]))
            if "enum" not in table and "x-zenith-known" not in table:
                problems.append(f"{where}: flag codes {fl['codes']} is not a code table")
        if "x-zenith-known" in node and node.get("type") != "string":
            problems.append(f"{where}: an open code table is a string")
        if "x-zenith-tag" in node:
            tag = node["x-zenith-tag"]
            values = node["properties"][tag].get("enum")
            branches = node.get("oneOf", [])
            seen = []
            for i, b in enumerate(branches):
                bw = f"{where}/oneOf/{i}"
                if set(b) - BRANCH_KEYS:
                    problems.append(f"{bw}: a branch only says tag, required and forbidden")
                if "title" not in b:
                    problems.append(f"{bw}: a branch needs a title (the Rust variant)")
                props = b.get("properties", {})
                seen.append(props.get(tag, {}).get("const"))
                for name, sub in props.items():
                    if name == tag:
                        if set(sub) != {"const"}:
                            problems.append(f"{bw}: the tag is given by const only")
                    elif not isinstance(sub, bool):
                        problems.append(f"{bw}/properties/{name}: branch properties are true or false")
                    elif name not in node["properties"]:
                        problems.append(f"{bw}/properties/{name}: not a property of the union")
                if tag not in b.get("required", []):
                    problems.append(f"{bw}: the tag must be required")
            if values is None or sorted(seen) != sorted(values):
                problems.append(f"{where}: tag enum {values} does not match branches {seen}")
        elif "oneOf" in node:
            # nullable: [$ref or type, {"type": "null"}], or a union of $refs (DateOrDateTime)
            for i, b in enumerate(node["oneOf"]):
                if set(b) - {"$ref", "type"}:
                    problems.append(f"{where}/oneOf/{i}: an untagged oneOf only holds $ref or null")
        # descend
        tagged = "x-zenith-tag" in node
        for name, sub in node.get("properties", {}).items():
            lint_node(sub, f"{ptr}/properties/{name}", is_property=True,
                      envelope_prop=(is_message and ptr == "" and name in ENVELOPE_PROPS))
        for name, sub in node.get("$defs", {}).items():
            lint_node(sub, f"{ptr}/$defs/{name}")
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                lint_node(node[key], f"{ptr}/{key}")
        for i, b in enumerate(node.get("oneOf", [])):
            if tagged:
                for name, sub in b.get("properties", {}).items():
                    if isinstance(sub, bool):
                        continue
                    unknown = set(sub) - ALLOWED
                    if unknown:
                        problems.append(f"{where}/oneOf/{i}/properties/{name}: keywords not allowed: {sorted(unknown)}")
            else:
                lint_node(b, f"{ptr}/oneOf/{i}")

    lint_node(doc, "")
    if "title" not in doc or "description" not in doc:
        problems.append(f"{r}: a file needs a title and a description")
    if is_message:
        xz = doc["x-zenith"]
        keys = set(xz) - {"controller", "topic", "action", "direction", "replyTopics", "arguments"}
        if keys:
            problems.append(f"{r}: unknown x-zenith keys {sorted(keys)}")
        role = os.path.basename(path).split(".")[1]
        topic = os.path.basename(path).split(".")[0]
        if xz.get("topic") != topic or xz.get("controller") != "Market":
            problems.append(f"{r}: x-zenith topic/controller do not match the file")
        if xz.get("direction") != ("send" if role == "request" else "receive"):
            problems.append(f"{r}: direction does not fit role {role}")
        if role == "request" and topic not in xz.get("replyTopics", []):
            problems.append(f"{r}: replyTopics must list the topic itself")
        if role != "request" and "replyTopics" in xz:
            problems.append(f"{r}: only requests carry replyTopics")
        tprop = doc["properties"]["Topic"]
        if "arguments" in xz:
            a = xz["arguments"]
            if "const" in tprop or "pattern" in tprop:
                problems.append(f"{r}: a topic with arguments has no const/pattern on Topic")
            for form in a["forms"]:
                for name in re.findall(r"\{(\w+)\}", form):
                    part = a["parts"].get(name)
                    if not part or set(part) != {"description", "pattern"}:
                        problems.append(f"{r}: argument part {name} needs a description and a pattern")
        elif tprop.get("const") != topic:
            problems.append(f"{r}: Topic const should be {topic}")
        if doc["properties"]["Controller"].get("const") != "Market":
            problems.append(f"{r}: Controller const should be Market")
        if not doc.get("examples"):
            problems.append(f"{r}: a message schema needs examples")


for path, doc in mains.items():
    def note_titles(node, ptr, path=path):
        if isinstance(node, dict) and "title" in node:
            titles.setdefault(node["title"], f"main:{os.path.relpath(path, MAIN)}#{ptr}")
    walk_nodes(doc, note_titles)
main_titles = dict(titles)
for path, doc in drafts.items():
    try:
        Draft202012Validator.check_schema(doc)
    except Exception as e:  # SchemaError
        problems.append(f"{rel(path)}: not a valid draft 2020-12 schema: {e.message}")
    lint_file(path, doc)
# Turn known clashes with main into merge notes.
kept = []
for p in problems:
    m = re.match(r".*: title (\w+) already used at main:", p)
    if m and m.group(1) in KNOWN_TITLE_CLASHES:
        notes.append(f"title {m.group(1)}: {KNOWN_TITLE_CLASHES[m.group(1)]}")
    else:
        kept.append(p)
problems[:] = kept

# ------------------------------------------------------------------------------------ embedded examples
embedded = 0
for path, doc in drafts.items():
    sid = doc["$id"]

    def check_examples(node, ptr, sid=sid, path=path):
        global embedded
        if not isinstance(node, dict) or "examples" not in node:
            return
        for i, ex in enumerate(node["examples"]):
            embedded += 1
            errs, warns = findings(sid, ex, None if ptr == "" else node)
            if errs:
                problems.append(f"{rel(path)}#{ptr}/examples/{i}: {errs}")
            if warns:
                problems.append(f"{rel(path)}#{ptr}/examples/{i}: warnings {warns} (an embedded example should be clean)")
    walk_nodes(doc, check_examples)

# ------------------------------------------------------------------------------------ self-tests
# Instances that must be refused (or warned about), to show the conventions are really checked.
M = "https://zenith-protocol.invalid/schemas/market/"
T = "https://zenith-protocol.invalid/schemas/types/"
NEGATIVE = [
    (M + "Depth.push.json", {"Controller": "Market", "Topic": "Depth!BHP", "Data": []}, "topic@/Topic"),
    (M + "Depth.push.json", {"Controller": "Market", "Topic": "Depth!BHP.ASX.X!Y", "Data": []}, "pattern@/Topic"),
    (M + "Depth.push.json", {"Controller": "Market", "Topic": "Depth!BHP.AX.ASX", "Data": []}, None),
    (M + "Depth.push.json", {"Controller": "Market", "Topic": "Depth!BHP.ASX+CXA#Default[Demo]", "Data": []}, None),
    (M + "Depth.push.json", {"Controller": "Market", "Topic": "Depth!BHP.ASX!ASX+CXA", "Data": []}, "pattern@/Topic"),
    (M + "Symbols.push.json", {"Controller": "Market", "Topic": "Symbols!Equity.ASX", "Data": []}, "topic@/Topic"),
    (M + "Markets.push.json", {"Controller": "Market", "Topic": "Markets!ASX", "Data": []}, "const@/Topic"),
    (T + "DepthChange.json", {"O": "C", "Order": {"ID": "1"}}, "oneOf@"),
    (T + "DepthChange.json", {"O": "A"}, "oneOf@"),
    (T + "DepthChange.json", {"O": "X", "Order": {"ID": "1"}}, "enum@/O"),
    (T + "TradeChange.json", {"O": "I", "Trade": {"ID": 1}}, "oneOf@"),
    (T + "TradeChange.json", {"O": "A", "ID": 5, "Trade": {"ID": 1}}, "oneOf@"),
    (T + "DepthOrder.json", {"ID": "1", "Quantity": None}, None),
    (T + "DepthOrder.json", {"ID": "1", "Side": "B"}, "enum@/Side"),
    (T + "SymbolDetail.json", {"Market": "ASX", "Code": "BHP", "Class": "Market", "SubscriptionData": "Asset,Bogus"}, "flags@/SubscriptionData"),
    (T + "SymbolDetail.json", {"Market": "ASX", "Code": "BHP", "Class": "Market", "SubscriptionData": "Asset, Trades"}, None),
    (T + "SymbolDetail.json", {"Market": "ASX", "Code": "BHP", "Class": "Market", "SubscriptionData": "Asset,,Trades"}, "flags@/SubscriptionData"),
    (T + "SymbolDetail.json", {"Market": "ASX", "Code": "BHP", "Class": "Equity"}, "enum@/Class"),
    (T + "SymbolDetail.json", {"Market": "ASX!ASX+CXA", "Code": "BHP", "Class": "Market"}, "pattern@/Market"),
    (T + "Security.json", {"Board": "ASX::NEW"}, "warn"),
    (T + "Security.json", {"Board": None, "Last": None, "Legs": None, "ExerciseType": None}, None),
    (T + "Security.json", {"Trend": None}, "enum@/Trend"),
    (T + "Security.json", {"AskCount": None}, "type@/AskCount"),
    (T + "Security.json", {"ExpiryDate": "2024-01-01T00:00:00Z"}, "oneOf@/ExpiryDate"),
    (T + "DateOrDateTime.json", "2016-01-20+10:00", None),
    (T + "DateOrDateTime.json", "2016-01-20T10:00:00", "oneOf@"),
    (T + "MarketState.json", {"Code": "ASX", "Feed": "Sleeping"}, "warn"),
    (M + "QueryTradingStates.reply.json", {"Controller": "Market", "Topic": "QueryTradingStates", "Data": [{"Name": "Open", "Reason": "Normal", "Allows": "All, Everything"}]}, "flags@/Data/0/Allows"),
    (M + "QuerySymbols.request.json", {"Controller": "Market", "Topic": "QuerySymbols", "Data": {"SearchText": "BHP", "Field": "Code+Wibble"}}, "warn"),
    (M + "QueryMarkets.request.json", {"Controller": "Market", "Topic": "QueryMarkets", "Data": {}}, "type@/Data"),
]
for sid, inst, want in NEGATIVE:
    errs, warns = findings(sid, inst)
    got = [e[0] for e in errs]
    ok = (not errs and not warns) if want is None else (bool(warns) and not errs) if want == "warn" else want in got
    if not ok:
        problems.append(f"self-test {sid[len(BASE):]} {json.dumps(inst)}: wanted {want}, got {got} {warns}")

# ------------------------------------------------------------------------------------ reference examples
dispatch = {}
for sid, (path, doc) in by_id.items():
    xz = doc.get("x-zenith")
    if xz:
        key = (xz["controller"], xz["topic"], xz["action"], xz["direction"])
        if key in dispatch:
            problems.append(f"dispatch key {key} used by {dispatch[key]} and {sid}")
        dispatch[key] = sid


def dispatch_for(msg, direction):
    controller = msg.get("Controller", "Zenith")
    action = msg.get("Action", "Publish")
    topic = str(msg.get("Topic", "*")).split("!")[0]
    for key in ((controller, topic, action, direction), ("*", topic, action, direction),
                ("*", "*", action, direction)):
        if key in dispatch:
            return dispatch[key]
    return None


def short(sid):
    return sid[len(BASE):] if sid else "none"


def classify(msg, direction):
    sid = dispatch_for(msg, direction)
    if sid is None:
        return "none", "no schema"
    errs, warns = findings(sid, msg)
    verdict = "valid" if not errs else "invalid " + ", ".join(e[0] for e in errs)
    if warns:
        verdict += " (warn: " + ", ".join(warns) + ")"
    return short(sid), verdict


def repair(text):
    t = re.sub(r"websocket\.send\(\s*JSON\.stringify\(", "", text)
    t = re.sub(r"/\*.*?\*/", "", t, flags=re.S)
    t = re.sub(r"(?m)^\s*//.*$", "", t)
    t = re.sub(r"(?m)^\s*\.\.\.\s*$", "", t)
    t = re.sub(r"(?m)\}\s*\)+\s*;?\s*$", "}", t)
    t = re.sub(r"(?m)(^|[{,])(\s*)([A-Za-z_][A-Za-z0-9_]*)(\s*):", r'\1\2"\3"\4:', t)
    t = re.sub(r",(\s*[}\]])", r"\1", t)
    dec, out, i = json.JSONDecoder(), [], 0
    while True:
        while i < len(t) and t[i].isspace():
            i += 1
        if i >= len(t):
            return out
        obj, i = dec.raw_decode(t, i)
        out.append(obj)


facts = json.load(open(FACTS))
rows = []
for topic in facts["topics"]:
    for i, ex in enumerate(topic["examples"]):
        ident = f"{topic['topic']}#{i}"
        direction = ex["direction"]
        try:
            msg = json.loads(ex["json"])
            schema, result = classify(msg, direction)
            after = "-"
        except json.JSONDecodeError:
            result = "not-json"
            try:
                msgs = repair(ex["json"])
                parts = [classify(m, direction) for m in msgs]
                schema = " + ".join(p[0] for p in parts)
                after = " + ".join(p[1] for p in parts)
            except json.JSONDecodeError:
                schema, after = "-", "not-json"
        rows.append((ident, direction, schema, result, after))

if "--print-table" in sys.argv:
    for r in rows:
        print("| " + " | ".join(r) + " |  |")
    sys.exit(0)

# ------------------------------------------------------------------------------------ DECISIONS.md
expected = {}
quirk_tags = set()
if os.path.exists(DECISIONS):
    text = open(DECISIONS).read()
    for line in text.splitlines():
        m = re.match(r"^\|\s*(\w+#\d+)\s*\|(.*)\|\s*$", line)
        if m:
            cells = [c.strip().strip("`") for c in m.group(2).split("|")]
            expected[m.group(1)] = tuple(cells[:4])
    quirk_tags = set(re.findall(r"\[(\w+) q(\d+)\]", text))
else:
    problems.append("DECISIONS.md is missing")

matched = 0
for ident, direction, schema, result, after in rows:
    exp = expected.get(ident)
    got = (direction, schema, result, after)
    if exp is None:
        problems.append(f"{ident}: not in the DECISIONS.md example table")
    elif exp != got:
        problems.append(f"{ident}: DECISIONS.md says {exp}, check.py finds {got}")
    else:
        matched += 1
for ident in expected:
    if ident not in {r[0] for r in rows}:
        problems.append(f"{ident}: in DECISIONS.md but not an example of market.json")

quirks_total = 0
for topic in facts["topics"]:
    for n in range(1, len(topic["quirks"]) + 1):
        quirks_total += 1
        if (topic["topic"], str(n)) not in quirk_tags:
            problems.append(f"quirk [{topic['topic']} q{n}] has no bullet in DECISIONS.md")
extra = {q for q in quirk_tags if q[0] in {t["topic"] for t in facts["topics"]}
         and int(q[1]) > len(next(t for t in facts["topics"] if t["topic"] == q[0])["quirks"])}
for q in sorted(extra):
    problems.append(f"DECISIONS.md tags [{q[0]} q{q[1]}], which market.json does not have")

# ------------------------------------------------------------------------------------ report
width = max(len(r[0]) for r in rows)
for ident, direction, schema, result, after in rows:
    # PASS/FAIL: does the example validate as written; ok/MISMATCH: does that agree with DECISIONS.md
    status = "PASS" if result.startswith("valid") else "FAIL"
    same = "ok " if expected.get(ident) == (direction, schema, result, after) else "MISMATCH "
    line = f"{status}  {same}{ident:<{width}}  {direction:<7}  {schema:<38}  {result}"
    if after != "-":
        line += f"   [after repair: {after}]"
    print(line)
for n in notes:
    print(f"note: {n}")
for p in problems:
    print(f"PROBLEM: {p}")

n_valid = sum(1 for r in rows if r[3].startswith("valid"))
n_invalid = sum(1 for r in rows if r[3].startswith("invalid"))
n_notjson = sum(1 for r in rows if r[3] == "not-json")
rep = [r[4] for r in rows if r[3] == "not-json"]
rep_valid = sum(1 for a in rep if a != "not-json" and all(p.startswith("valid") for p in a.split(" + ")))
rep_notjson = sum(1 for a in rep if a == "not-json")
n_messages = sum(1 for d in drafts.values() if "x-zenith" in d)
topics_covered = {d["x-zenith"]["topic"] for d in drafts.values() if "x-zenith" in d}
print(f"SUMMARY: {len(drafts)} draft schemas ({n_messages} messages, {len(topics_covered)}/19 topics), "
      f"{len(NEGATIVE)} self-tests, {embedded} embedded examples valid; market.json examples: {len(rows)} = {n_valid} valid + "
      f"{n_invalid} invalid + {n_notjson} not JSON (after repair: {rep_valid} valid, "
      f"{len(rep) - rep_valid - rep_notjson} invalid, {rep_notjson} still not JSON); {matched}/{len(rows)} match DECISIONS.md; "
      f"quirks covered {quirks_total - sum(1 for p in problems if p.startswith('quirk ['))}/{quirks_total}; "
      f"{len(problems)} problems -> {'OK' if not problems else 'FAIL'}")
sys.exit(1 if problems else 0)
