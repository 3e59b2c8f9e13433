#!/usr/bin/env python3
"""Dependency licence check for the Guanxi workspace.

Guanxi is Apache-2.0, so every dependency must be usable under a permissive
licence.  This script reads `cargo metadata` (no compilation needed) and, for
every package that is not a workspace member, evaluates its SPDX `license`
expression: the package passes when the expression can be satisfied using only
the licences in ALLOWED.

    python3 .ci/licenses.py              # check the workspace, exit 1 on refusal
    python3 .ci/licenses.py --self-test  # test the expression evaluator

Expression rules (SPDX 2.3 Annex D, plus what crates.io has accepted over time):
  * `A OR B`  - either may be chosen;  `A AND B` - both apply;
  * `A WITH E` - licence A plus exception E.  Exceptions only add permissions,
    so it passes when A passes (or when the exact pair is listed in ALLOWED);
  * parentheses group; precedence is WITH > AND > OR;
  * the legacy `/` separator (`MIT/Apache-2.0`) means OR;
  * `A+` means "A or any later version" and is judged as A;
  * licence ids and operators are matched case-insensitively.

Packages with no `license` field but a `license_file` must be reviewed by hand
and listed in LICENSE_FILE_REVIEWED with the reason; anything else without a
usable `license` field is refused.

Python 3.11 standard library only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

# Licences (SPDX ids) we accept.  Compared case-insensitively.
ALLOWED = {
    "MIT",
    "MIT-0",
    "Apache-2.0",
    "Apache-2.0 WITH LLVM-exception",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "Zlib",
    "MPL-2.0",
    "Unicode-3.0",
    "Unicode-DFS-2016",
    "CC0-1.0",
    "Unlicense",
    "0BSD",
    "BSL-1.0",
}

# Packages that have no SPDX `license` but ship a `license_file`.  Each entry was
# reviewed by reading that file for the listed release lines (version prefixes;
# a new release line needs a new review).  name -> (version prefixes, reason).
LICENSE_FILE_REVIEWED: dict[str, tuple[tuple[str, ...], str]] = {
    "ring": (
        ("0.16.",),
        "ring 0.16 declares only license-file; its LICENSE is ISC-style for ring's own "
        "code plus the OpenSSL and SSLeay licences (BSD-style, with an advertising "
        "clause; no copyleft) for code from BoringSSL. ring 0.17+ declares "
        "'Apache-2.0 AND ISC' and needs no entry",
    ),
}

_ALLOWED_LOWER = {a.lower() for a in ALLOWED}


# ---------------------------------------------------------------------------
# SPDX expression parsing and evaluation
# ---------------------------------------------------------------------------


class SpdxError(ValueError):
    pass


@dataclass(frozen=True)
class Lic:
    id: str  # licence id or LicenseRef-..., without a trailing '+'
    plus: bool = False
    exception: str | None = None

    def __str__(self) -> str:
        s = self.id + ("+" if self.plus else "")
        return f"{s} WITH {self.exception}" if self.exception else s


@dataclass(frozen=True)
class And:
    items: tuple


@dataclass(frozen=True)
class Or:
    items: tuple


_OPERATORS = {"and", "or", "with"}


def _tokenize(expr: str) -> list[str]:
    tokens: list[str] = []
    word = ""
    for ch in expr:
        if ch in "()/" or ch.isspace():
            if word:
                tokens.append(word)
                word = ""
            if ch == "/":
                tokens.append("OR")  # legacy crates.io separator
            elif ch in "()":
                tokens.append(ch)
        elif ch.isalnum() or ch in ".-+:":
            word += ch
        else:
            raise SpdxError(f"unexpected character {ch!r}")
    if word:
        tokens.append(word)
    return tokens


def parse(expr: str):
    """Parse an SPDX licence expression into Lic / And / Or nodes."""
    tokens = _tokenize(expr)
    if not tokens:
        raise SpdxError("empty expression")
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise SpdxError("unexpected end of expression")
        tok = tokens[pos]
        pos += 1
        return tok

    def is_op(tok: str | None, op: str) -> bool:
        return tok is not None and tok.lower() == op

    def parse_or():
        items = [parse_and()]
        while is_op(peek(), "or"):
            take()
            items.append(parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and():
        items = [parse_with()]
        while is_op(peek(), "and"):
            take()
            items.append(parse_with())
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_with():
        tok = take()
        if tok == "(":
            node = parse_or()
            if take() != ")":
                raise SpdxError("expected ')'")
            if is_op(peek(), "with"):
                raise SpdxError("WITH must follow a single licence, not a group")
            return node
        if tok == ")" or tok.lower() in _OPERATORS:
            raise SpdxError(f"expected a licence, found {tok!r}")
        lic_id, plus = tok, False
        if lic_id.endswith("+"):
            lic_id, plus = lic_id[:-1], True
        if not lic_id or "+" in lic_id:
            raise SpdxError(f"malformed licence id {tok!r}")
        exception = None
        if is_op(peek(), "with"):
            take()
            exc = take()
            if exc in "()" or exc.lower() in _OPERATORS or "+" in exc:
                raise SpdxError(f"expected an exception id after WITH, found {exc!r}")
            exception = exc
        return Lic(lic_id, plus, exception)

    node = parse_or()
    if pos != len(tokens):
        raise SpdxError(f"unexpected {tokens[pos]!r}")
    return node


def leaf_allowed(lic: Lic, allowed_lower: set[str] = _ALLOWED_LOWER) -> bool:
    if lic.exception is not None:
        if f"{lic.id} WITH {lic.exception}".lower() in allowed_lower:
            return True
        # An exception only grants additional permissions.
    return lic.id.lower() in allowed_lower


def satisfiable(node, allowed_lower: set[str] = _ALLOWED_LOWER) -> bool:
    """True when the licence terms can be met using only allowed licences."""
    if isinstance(node, Lic):
        return leaf_allowed(node, allowed_lower)
    if isinstance(node, Or):
        return any(satisfiable(n, allowed_lower) for n in node.items)
    if isinstance(node, And):
        return all(satisfiable(n, allowed_lower) for n in node.items)
    raise TypeError(node)


def leaves(node) -> list[Lic]:
    if isinstance(node, Lic):
        return [node]
    return [leaf for n in node.items for leaf in leaves(n)]


def check_expression(expr: str) -> tuple[bool, str]:
    """Return (ok, reason)."""
    try:
        node = parse(expr)
    except SpdxError as e:
        return False, f"unparseable licence expression: {e}"
    if satisfiable(node):
        return True, ""
    bad = sorted({str(leaf) for leaf in leaves(node) if not leaf_allowed(leaf)})
    return False, "cannot be satisfied with permissive licences (not allowed: " + ", ".join(bad) + ")"


# ---------------------------------------------------------------------------
# Workspace check
# ---------------------------------------------------------------------------


def repo_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cargo_metadata(root: str) -> dict:
    cmd = ["cargo", "metadata", "--format-version", "1"]
    if os.path.exists(os.path.join(root, "Cargo.lock")):
        cmd.append("--locked")
    else:
        print("licences: no Cargo.lock, running cargo metadata without --locked", file=sys.stderr)
    proc = subprocess.run(cmd, cwd=root, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        print(f"licences: `{' '.join(cmd)}` failed with status {proc.returncode}", file=sys.stderr)
        if "--locked" in cmd:
            print(
                "licences: if Cargo.lock is out of date with Cargo.toml, run any cargo build "
                "(or `cargo update --workspace`) and commit Cargo.lock",
                file=sys.stderr,
            )
        sys.exit(2)
    return json.loads(proc.stdout)


def check_package(pkg: dict) -> tuple[bool, str]:
    lic = pkg.get("license")
    if lic is not None and lic.strip():
        return check_expression(lic)
    name = pkg["name"]
    if pkg.get("license_file"):
        prefixes, reason = LICENSE_FILE_REVIEWED.get(name, ((), ""))
        version = pkg.get("version", "")
        if reason and any(version.startswith(p) for p in prefixes):
            return True, f"license-file reviewed: {reason}"
        return False, (
            f"no SPDX licence, only license-file {pkg['license_file']!r}; review it and add "
            f"{name!r} {version} to LICENSE_FILE_REVIEWED in .ci/licenses.py with the reason"
        )
    return False, "no licence information at all"


def main() -> int:
    meta = cargo_metadata(repo_root())
    members = set(meta.get("workspace_members", []))
    checked = refused = 0
    special: list[str] = []
    for pkg in sorted(meta["packages"], key=lambda p: (p["name"], p["version"])):
        if pkg["id"] in members:
            continue
        checked += 1
        ok, why = check_package(pkg)
        label = f"{pkg['name']} {pkg['version']}"
        if not ok:
            refused += 1
            print(f"refused: {label} (license = {pkg.get('license')!r}): {why}")
        elif why:
            special.append(f"special-cased: {label}: {why}")
    for line in special:
        print(line)
    print(f"licences: {checked} crates checked, {refused} refused")
    return 1 if refused else 0


# ---------------------------------------------------------------------------
# Self-test
# ---------------------------------------------------------------------------

SELF_TEST_CASES = [
    # (expression, expected to pass)
    ("MIT", True),
    ("mit", True),
    ("Apache-2.0", True),
    ("MIT OR Apache-2.0", True),
    ("MIT/Apache-2.0", True),
    ("Apache-2.0 / MIT", True),
    ("MIT AND BSD-3-Clause", True),
    ("(MIT OR Apache-2.0) AND Unicode-3.0", True),
    ("Apache-2.0 WITH LLVM-exception OR Apache-2.0 OR MIT", True),
    ("Apache-2.0 WITH LLVM-exception", True),
    ("MIT OR Apache-2.0 OR LGPL-2.1-or-later", True),
    ("Unlicense OR MIT", True),
    ("Zlib OR Apache-2.0 OR MIT", True),
    ("GPL-3.0-or-later OR MIT", True),
    ("MPL-2.0", True),
    ("Apache-2.0+", True),
    ("((MIT))", True),
    ("MIT or Apache-2.0", True),
    ("MIT AND (LGPL-2.1-or-later OR BSD-3-Clause)", True),
    ("GPL-3.0", False),
    ("GPL-2.0+", False),
    ("GPL-2.0-only WITH Classpath-exception-2.0", False),
    ("LGPL-2.1-or-later", False),
    ("AGPL-3.0-only OR SSPL-1.0", False),
    ("MIT AND GPL-3.0-only", False),
    ("(MIT OR Apache-2.0) AND GPL-2.0-only", False),
    ("MIT/GPL-3.0 AND LGPL-3.0", True),  # MIT OR (GPL AND LGPL): MIT suffices
    ("GPL-3.0/MIT AND LGPL-3.0", False),  # GPL OR (MIT AND LGPL)
    ("LicenseRef-ring", False),
    ("MIT OR", None),  # None: must be refused as unparseable
    ("(MIT", None),
    ("MIT)", None),
    ("MIT Apache-2.0", None),
    ("AND MIT", None),
    ("", None),
    ("MIT WITH", None),
    ("(MIT OR Apache-2.0) WITH LLVM-exception", None),
    ("MIT, Apache-2.0", None),
]


def self_test() -> int:
    failures = 0
    for expr, expected in SELF_TEST_CASES:
        ok, why = check_expression(expr)
        if expected is None:
            good = not ok and why.startswith("unparseable")
        else:
            good = ok == expected and (ok or not why.startswith("unparseable"))
        status = "ok  " if good else "FAIL"
        if not good:
            failures += 1
        print(f"{status} {expr!r:60} -> {'pass' if ok else 'refuse'} {why}")
    # Structure and precedence checks.
    structural = [
        (parse("A OR B AND C"), Or((Lic("A"), And((Lic("B"), Lic("C")))))),
        (parse("A AND B OR C"), Or((And((Lic("A"), Lic("B"))), Lic("C")))),
        (parse("A AND (B OR C)"), And((Lic("A"), Or((Lic("B"), Lic("C")))))),
        (parse("A WITH E AND B"), And((Lic("A", False, "E"), Lic("B")))),
        (parse("A+ OR B"), Or((Lic("A", True), Lic("B")))),
        (parse("A/B"), Or((Lic("A"), Lic("B")))),
    ]
    for got, want in structural:
        good = got == want
        if not good:
            failures += 1
        print(f"{'ok  ' if good else 'FAIL'} parse -> {got}")
    # Packages without an SPDX `license` field.
    packages = [
        ({"name": "ring", "version": "0.16.20", "license": None, "license_file": "LICENSE"}, True),
        ({"name": "ring", "version": "0.18.0", "license": None, "license_file": "LICENSE"}, False),
        ({"name": "ring", "version": "0.17.14", "license": "Apache-2.0 AND ISC"}, True),
        ({"name": "mystery", "license": None, "license_file": "LICENSE"}, False),
        ({"name": "mystery", "license": None, "license_file": None}, False),
        ({"name": "mystery", "license": "  ", "license_file": None}, False),
        ({"name": "ring", "license": "GPL-3.0-only", "license_file": None}, False),
    ]
    for pkg, expected in packages:
        ok, why = check_package(pkg)
        good = ok == expected
        if not good:
            failures += 1
        print(f"{'ok  ' if good else 'FAIL'} package {pkg} -> {'pass' if ok else 'refuse'} {why[:70]}")
    total = len(SELF_TEST_CASES) + len(structural) + len(packages)
    print(f"self-test: {total} cases, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(self_test())
    if sys.argv[1:]:
        print("usage: licenses.py [--self-test]", file=sys.stderr)
        sys.exit(2)
    sys.exit(main())
