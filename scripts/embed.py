#!/usr/bin/env python3
"""Embeds the files people edit into the Swift sources that serve them.

    python3 scripts/embed.py          # rewrite every generated Swift file
    python3 scripts/embed.py --check  # exit 1 if one is stale or a source is invalid
                                      # (scripts/test.sh runs this)

The one way text files reach the binary (no resources in SwiftPM targets):

    Sources/Signaling/OpenAPI/conference.openapi.json → ConferenceOpenAPI.swift
    Sources/RecordStore/store.openapi.json            → StoreOpenAPIDocument.swift
    Sources/Signaling/Web/index.html, client.js       → WebAssets.swift

Edit the source files, never the generated ones. Each file becomes a Swift
raw string literal delimited by as many `#` as it takes that the text can
neither end it nor interpolate. JSON documents must parse, and every
local `$ref` in them must resolve; a component that nothing refers to is
reported too (it is almost always a typo in a `$ref`).
"""
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Entry:
    name: str          # Swift property name
    source: str        # path relative to ROOT
    doc: str           # the property's /// comment
    json: bool = False
    public: bool = False


@dataclass
class Output:
    path: str          # generated Swift file, relative to ROOT
    decl: str          # "enum X" or "extension X"
    doc: str           # the type's /// comment ("" for an extension)
    entries: list
    tail: list = field(default_factory=list)   # extra Swift lines inside the type


MODULE_TAIL = "\nexport const SfuClient = globalThis.SfuClient;\nexport const SfuError = globalThis.SfuError;\nexport default SfuClient;\n"

OUTPUTS = [
    Output(
        path="Sources/Signaling/OpenAPI/ConferenceOpenAPI.swift",
        decl="enum ConferenceOpenAPI",
        doc="The OpenAPI 3 document of the Conference API face, served at /rtc-api/openapi.json.",
        entries=[Entry("json", "Sources/Signaling/OpenAPI/conference.openapi.json",
                       "`conference.openapi.json`, as written.", json=True)],
    ),
    Output(
        path="Sources/RecordStore/StoreOpenAPIDocument.swift",
        decl="extension StoreOpenAPI",
        doc="",
        entries=[Entry("template", "Sources/RecordStore/store.openapi.json",
                       "`store.openapi.json`: the document of both stores, with `{{PLACEHOLDERS}}` (see StoreOpenAPI).",
                       json=True)],
    ),
    Output(
        path="Sources/Signaling/Web/WebAssets.swift",
        decl="public enum WebAssets",
        doc="The demo page (`/`) and the JavaScript client library (`/client.js`).",
        entries=[
            Entry("indexHTML", "Sources/Signaling/Web/index.html",
                  "`index.html`: the demo conference page, served at `/`.", public=True),
            Entry("clientJS", "Sources/Signaling/Web/client.js",
                  "`client.js`: the client library as a classic script (also importable for its side effect), served at `/client.js`.",
                  public=True),
        ],
        tail=["    /// `client.js` with ES module exports (`import { SfuClient } from '/client.mjs'`).",
              "    public static let clientModuleJS: String = clientJS + {MODULE_TAIL}"],
    ),
]


def literal(name: str, text: str) -> str:
    """A Swift multi-line raw string literal holding exactly `text`."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if not text.endswith("\n"):
        text += "\n"
    n = 1
    while '"' + "#" * n in text or "\\" + "#" * n in text:
        n += 1
        if n > 8:
            raise SystemExit(f"embed.py: {name} needs more than 8 # in its raw string delimiter")
    hashes = "#" * n
    # A multi-line literal drops the final newline before the closing delimiter; keep it.
    return hashes + '"""\n' + text + '\n"""' + hashes


def resolve(doc, pointer: str):
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


def check_json(name: str, text: str) -> list:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        return [f"{name}: not JSON: {e}"]
    errors = []
    used = set(refs(doc))
    for r in sorted(used):
        if not r.startswith("#/"):
            errors.append(f"{name}: $ref {r} is not local")
            continue
        try:
            resolve(doc, r)
        except (KeyError, IndexError, ValueError, TypeError):
            errors.append(f"{name}: unresolved $ref {r}")
    for section, items in doc.get("components", {}).items():
        if section == "securitySchemes" or not isinstance(items, dict):
            continue
        for key in items:
            if f"#/components/{section}/{key}" not in used:
                errors.append(f"{name}: components/{section}/{key} is never referred to")
    return errors


def render(out: Output) -> tuple:
    errors = []
    sources = ", ".join(Path(e.source).name for e in out.entries)
    lines = [
        f"// Generated by scripts/embed.py from {sources}.",
        "// Do not edit: edit those files and run `python3 scripts/embed.py`.",
        "// swiftlint:disable all",
        "",
    ]
    if out.doc:
        lines.append(f"/// {out.doc}")
    lines.append(out.decl + " {")
    for i, e in enumerate(out.entries):
        text = (ROOT / e.source).read_text(encoding="utf-8")
        if e.json:
            errors += check_json(e.source, text)
        if i:
            lines.append("")
        lines.append(f"    /// {e.doc}")
        lines.append(f"    {'public ' if e.public else ''}static let {e.name}: String = {literal(e.source, text)}")
    if out.tail:
        lines.append("")
        lines += [t.replace("{MODULE_TAIL}", literal("module tail", MODULE_TAIL)) for t in out.tail]
    lines.append("}")
    return "\n".join(lines) + "\n", errors


def main() -> int:
    check = "--check" in sys.argv[1:]
    failed = False
    for out in OUTPUTS:
        text, errors = render(out)
        for e in errors:
            print(f"embed.py: {e}")
            failed = True
        target = ROOT / out.path
        if check:
            current = target.read_text(encoding="utf-8") if target.exists() else ""
            if current != text:
                print(f"embed.py: {out.path} is stale: run python3 scripts/embed.py")
                failed = True
        elif not errors:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                target.write_text(text, encoding="utf-8")
                print(f"wrote {out.path} ({len(text)} bytes)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
