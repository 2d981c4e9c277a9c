"""The role × route matrix as a Markdown table, from ``dunwell.identity.matrix``.

usage: python tools/role_matrix.py [--check | --write]

With no option the table is printed. ``--write`` puts it in ``docs/security/identity.md``
between the ``role-matrix`` markers; ``--check`` exits 1 when the page's table is not
the matrix's (the tests run the same check).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "security" / "identity.md"
START = "<!-- role-matrix:start (tools/role_matrix.py --write) -->"
END = "<!-- role-matrix:end -->"
#: Column headers, short enough for a table, in the roles' order.
SHORT = {"borrower": "borrower", "collector": "collector", "field_agent": "field agent",
         "team_lead": "team lead", "manager": "manager", "risk_analyst": "risk",
         "compliance_officer": "compliance", "legal_counsel": "legal", "admin": "admin"}


def render() -> str:
    """The table: one row per route (method, template), one column per role."""
    sys.path.insert(0, str(ROOT / "src"))
    from dunwell.identity.matrix import MATRIX, Open
    from dunwell.identity.model import Role

    roles = list(Role)
    lines = ["| method | route | open to | " + " | ".join(SHORT[r.value] for r in roles) + " |",
             "| --- | --- | --- | " + " | ".join(":-:" for _ in roles) + " |"]
    for (method, template), rule in sorted(MATRIX.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if isinstance(rule, Open):
            cells = [rule.value] + [""] * len(roles)
        else:
            cells = [""] + ["✓" if r in rule else "" for r in roles]
        lines.append(f"| {method} | `{template}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def in_doc(text: str) -> str:
    """The table now between the markers of ``text``."""
    if START not in text or END not in text:
        raise SystemExit(f"{DOC} has no {START} ... {END} section")
    return text.split(START, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 if the doc is stale")
    mode.add_argument("--write", action="store_true", help="rewrite the doc's table")
    args = parser.parse_args(argv)
    table = render()
    if not (args.check or args.write):
        sys.stdout.write(table)
        return 0
    text = DOC.read_text(encoding="utf-8")
    if args.check:
        if in_doc(text) != table:
            print(f"{DOC.relative_to(ROOT)}: the role matrix is stale; run "
                  "`.venv/bin/python tools/role_matrix.py --write`", file=sys.stderr)
            return 1
        return 0
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    DOC.write_text(f"{before}{START}\n{table}{END}{after}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
