#!/usr/bin/env python3
"""Checks that Tests/e2e/openapi/conference.json is the document embedded in
Sources/Signaling/OpenAPI/ConferenceOpenAPI.swift.

    python3 Tests/e2e/openapi/extract.py          # check (exit 1 on mismatch)
    python3 Tests/e2e/openapi/extract.py --write  # rewrite conference.json from the Swift file

Also checks that the JSON parses, that every local $ref resolves, and that the
text cannot end the Swift #\"\"\"...\"\"\"# raw string early: it must contain
neither `"#` nor a backslash followed by `#` (JSON Pointers are written with
their `#` escaped as \\u0023).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
SWIFT = os.path.join(ROOT, "Sources", "Signaling", "OpenAPI", "ConferenceOpenAPI.swift")
JSON_FILE = os.path.join(HERE, "conference.json")

OPEN = '#"""\n'
CLOSE = '\n"""#'


def extract(swift_text):
    start = swift_text.index(OPEN) + len(OPEN)
    end = swift_text.index(CLOSE, start)
    return swift_text[start:end]


def resolve(doc, pointer):
    if not pointer.startswith("#/"):
        raise KeyError("not a local reference: " + pointer)
    node = doc
    for part in pointer[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield v
            else:
                yield from refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from refs(v)


def main():
    with open(SWIFT, encoding="utf-8") as f:
        embedded = extract(f.read())
    errors = []

    if '"#' in embedded:
        errors.append('the embedded JSON contains "# (ends the Swift raw string)')
    if "\\#" in embedded:
        errors.append("the embedded JSON contains \\# (a Swift raw-string escape)")

    try:
        doc = json.loads(embedded)
    except json.JSONDecodeError as e:
        print("FAIL: the embedded JSON does not parse: %s" % e)
        return 1

    for r in sorted(set(refs(doc))):
        try:
            resolve(doc, r)
        except (KeyError, IndexError, ValueError, TypeError):
            errors.append("unresolved $ref: " + r)

    if "--write" in sys.argv[1:]:
        with open(JSON_FILE, "w", encoding="utf-8") as f:
            f.write(embedded + "\n")
        print("wrote " + os.path.relpath(JSON_FILE, ROOT))
    else:
        with open(JSON_FILE, encoding="utf-8") as f:
            copy = f.read()
        if copy.rstrip("\n") != embedded:
            errors.append(os.path.relpath(JSON_FILE, ROOT) + " differs from the document in "
                          + os.path.relpath(SWIFT, ROOT) + " (run with --write)")

    if errors:
        for e in errors:
            print("FAIL: " + e)
        return 1
    n_ops = sum(1 for p in doc["paths"].values() for m in p if m in ("get", "post", "put", "delete", "patch"))
    print("OK: %d paths, %d operations, %d schemas, %d distinct $refs resolve"
          % (len(doc["paths"]), n_ops, len(doc["components"]["schemas"]), len(set(refs(doc)))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
