"""docs/security/identity.md shows the role × route matrix the code enforces: the
table between its markers is what ``tools/role_matrix.py`` renders from the matrix."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_documented_matrix_is_the_enforced_one() -> None:
    spec = importlib.util.spec_from_file_location("role_matrix", ROOT / "tools" / "role_matrix.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    documented = tool.in_doc(tool.DOC.read_text(encoding="utf-8"))
    assert documented == tool.render(), (
        "docs/security/identity.md is stale: run `.venv/bin/python tools/role_matrix.py --write`")
    assert tool.main(["--check"]) == 0
