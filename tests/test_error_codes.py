"""Error codes are enumerated per package (``src/dunwell/<package>/error_codes.py``,
written by ``tools/error_codes.py --write``): every code raised is enumerated by the
package that raises it or by one it may import, every enumerated code is raised, no
code is enumerated twice, codes say what must hold, and the codes the docs name exist.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import textwrap
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
FIX = "run `.venv/bin/python tools/error_codes.py --write`"
#: Codes that name what went wrong rather than what must hold. Clients match on codes,
#: so these stay as they are; new codes say ``..._must_...``. A code leaves this list
#: when nothing raises it any more.
LEGACY_CODES = frozenset({
    "book_basis_needs_a_schedule", "cob_needs_one_date", "letter_needs_overdue_amount",
    "offer_needs_outstanding_debt", "portal_amount_required",
    "prepayment_needs_future_installments", "write_off_needs_outstanding_debt",
})  # fmt: skip
BACKTICKED = re.compile(r"`([a-z0-9_]+)`")


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("error_codes_tool",
                                                  ROOT / "tools" / "error_codes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


tool = _load_tool()
#: ``tools/error_codes.py``'s ``Scan``; the tool is loaded from its file, not imported.
Scan = Any


@pytest.fixture(scope="module")
def result() -> Scan:
    return tool.scan(SRC, ROOT)


@pytest.fixture(scope="module")
def enumerations() -> dict[str, frozenset[str]]:
    """Each package's enumerated codes, from the committed files, imported."""
    out = {}
    for package in tool.PACKAGES:
        module = importlib.import_module(f"dunwell.{package}.error_codes")
        assert issubclass(module.Code, StrEnum)
        out[package] = frozenset(member.value for member in module.Code)
    return out


def test_every_code_can_be_told_from_the_source(result: Scan) -> None:
    problems = [*result.problems, *result.conflicts()]
    assert not problems, "\n".join(problems)


def test_every_raised_code_is_enumerated_where_its_raiser_may_import_it(
        result: Scan, enumerations: dict[str, frozenset[str]]) -> None:
    missing = []
    for code in sorted(result.sites):
        for package in sorted(result.packages(code)):
            owners = [p for p, codes in enumerations.items() if code in codes]
            if not any(result.may_import(package, owner) for owner in owners):
                where = ", ".join(str(s) for s in sorted(result.sites[code])
                                  if result.home(s.package) == package)
                missing.append(f"{code}: raised in {package} ({where}), enumerated in "
                               f"{owners or 'no package'}")
    assert not missing, f"{FIX}:\n" + "\n".join(missing)


def test_every_enumerated_code_is_raised(result: Scan,
                                         enumerations: dict[str, frozenset[str]]) -> None:
    stale = [f"{package}: {code}" for package, codes in sorted(enumerations.items())
             for code in sorted(codes - result.sites.keys())]
    assert not stale, f"enumerated but raised nowhere; {FIX}:\n" + "\n".join(stale)


def test_no_code_is_enumerated_by_two_packages(
        enumerations: dict[str, frozenset[str]]) -> None:
    seen: dict[str, list[str]] = {}
    for package, codes in enumerations.items():
        for code in codes:
            seen.setdefault(code, []).append(package)
    twice = {code: packages for code, packages in seen.items() if len(packages) > 1}
    assert not twice, f"{FIX}: {twice}"


def test_the_files_are_as_the_tool_writes_them(result: Scan) -> None:
    assert tool.check(result, SRC) == [], FIX


def test_codes_are_snake_case_and_say_what_must_hold(result: Scan) -> None:
    codes = set(result.sites)
    assert not [c for c in codes if not tool.CODE_SHAPE.fullmatch(c)]
    unsaid = sorted(c for c in codes - LEGACY_CODES if not tool.MUST_SHAPE.fullmatch(c))
    assert not unsaid, f"name what must hold, like amount_must_be_positive: {unsaid}"
    gone = sorted(LEGACY_CODES - codes)
    assert not gone, f"no longer raised; remove from LEGACY_CODES: {gone}"


def test_the_codes_the_docs_name_exist(result: Scan) -> None:
    """Every backticked ``..._must_...`` in docs/ is a code raised somewhere (or a
    member of another vocabulary, such as the referral criteria)."""
    known = result.sites.keys() | result.vocabulary
    unknown = []
    for path in sorted((ROOT / "docs").rglob("*.md")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            for token in BACKTICKED.findall(line):
                if tool.MUST_SHAPE.fullmatch(token) and token not in known:
                    unknown.append(f"{path.relative_to(ROOT)}:{number}: {token}")
    assert not unknown, "documented codes nothing raises:\n" + "\n".join(unknown)


def test_the_shells_codes_are_found(result: Scan) -> None:
    """Codes the API and the CLI produce themselves, not by raising."""
    assert {"api", "cli"} <= result.packages("stored_amounts_must_fit_int64")
    assert "api" in result.packages("route_must_exist")
    assert "cli" in result.packages("file_must_be_utf8")


# -------------------------------------------------------------- the scanner itself
LAYERS = [frozenset({"api"}), frozenset({"app"}), frozenset({"channels", "field"}),
          frozenset({"lending"}), frozenset({"core"})]
ERRORS = '''
class DomainError(Exception):
    code: str = "domain_rule_must_hold"
    def __init__(self, message, *, code=None, **details):
        super().__init__(message)

class InvalidInput(DomainError):
    code = "input_must_be_valid"
'''


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    src = tmp_path / "src"
    for name, text in {"core/errors.py": ERRORS, **files}.items():
        path = src / "dunwell" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in (path.parent, path.parent.parent):
            (parent / "__init__.py").touch()
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return src


def _scan(tmp_path: Path, files: dict[str, str]) -> Scan:
    return tool.scan(_tree(tmp_path, files), tmp_path, LAYERS)


def _codes(result: Scan) -> dict[str, set[str]]:
    return {code: result.packages(code) for code in result.sites}


def test_literals_constants_classes_and_defaults(tmp_path: Path) -> None:
    result: Scan = _scan(tmp_path, {
        "lending/errors.py": '''
            from dunwell.core.errors import InvalidInput
            LOAN_CHANGED = "loan_must_not_change"
            class LoanClosed(InvalidInput):
                code = "loan_must_be_open"
            ''',
        "lending/rules.py": '''
            from dunwell.core import errors
            from dunwell.lending.errors import LOAN_CHANGED, LoanClosed
            def a():
                raise errors.InvalidInput("x", code="amount_must_be_positive")
            def b():
                raise LoanClosed("x", code=LOAN_CHANGED)
            def c(exc):
                raise errors.InvalidInput(exc.message, code=exc.code)  # passed on
            def _refuse(why, code="transition_must_be_allowed"):
                return errors.InvalidInput(why, code=code)
            def d():
                raise _refuse("x")
            def e():
                raise _refuse("y", "state_must_allow_it")
            ''',
    })
    assert result.problems == []
    assert _codes(result) == {
        "domain_rule_must_hold": {"core"}, "input_must_be_valid": {"core"},
        "loan_must_be_open": {"lending"}, "loan_must_not_change": {"lending"},
        "amount_must_be_positive": {"lending"}, "transition_must_be_allowed": {"lending"},
        "state_must_allow_it": {"lending"},
    }


def test_parameters_are_read_per_call(tmp_path: Path) -> None:
    """``noun or field.rsplit(...)`` takes both from the same call; an f-string is
    filled from each call; a loop variable dropped by the split does not matter."""
    result: Scan = _scan(tmp_path, {"channels/parse.py": '''
        from dunwell.core.errors import InvalidInput
        def _enum(value, field, noun=None):
            name = noun or field.rsplit(".", 1)[-1]
            raise InvalidInput(value, code=f"{name.replace(' ', '_')}_must_be_known")
        def parse(where, items):
            _enum(1, where + ".direction")
            for i, item in enumerate(items):
                _enum(item, f"tags[{i}]", "content tag")
        def top():
            parse("history.", [])
        '''})
    assert result.problems == []
    assert set(result.sites) == {"domain_rule_must_hold", "input_must_be_valid",
                                 "direction_must_be_known", "content_tag_must_be_known"}


def test_what_cannot_be_told_is_reported(tmp_path: Path) -> None:
    result: Scan = _scan(tmp_path, {"field/visits.py": '''
        from dunwell.core.errors import InvalidInput
        def code_for(x):
            return x
        def f(x):
            raise InvalidInput("x", code=code_for(x))
        def g(items):
            for item in items:
                raise InvalidInput("x", code=f"{item}_must_be_known")
        '''})
    assert len(result.problems) == 2
    assert all(p.startswith("src/dunwell/field/visits.py:") for p in result.problems)


def test_the_shells_and_carried_refusals_count(tmp_path: Path) -> None:
    result: Scan = _scan(tmp_path, {
        "api/app.py": '''
            CODE_BY_STATUS = {404: "route_must_exist"}
            def body(code):
                return {"error": code}
            NOT_A_CODE = "some_words"
            ''',
        "channels/register.py": '''
            from dataclasses import dataclass
            @dataclass
            class Refusal:
                why: str
                code: str = "transition_must_be_allowed"
            class Criterion:
                ACTIVE = "case_must_be_active"
            REFUSALS = [Refusal("x", code="letter_must_be_printed"),
                        Refusal("y", code="not_said_as_a_rule")]
            ''',
    })
    assert {"route_must_exist", "transition_must_be_allowed",
            "letter_must_be_printed"} <= set(result.sites)
    assert "some_words" not in result.sites and "not_said_as_a_rule" not in result.sites
    assert result.vocabulary == {"case_must_be_active"}


def test_a_code_belongs_to_the_innermost_package(tmp_path: Path) -> None:
    result: Scan = _scan(tmp_path, {
        "lending/errors.py": '''
            from dunwell.core.errors import InvalidInput
            KEY = "key_must_match"
            def f():
                raise InvalidInput("x", code="shared_must_hold")
            ''',
        "app/service.py": '''
            from dunwell.core.errors import InvalidInput
            from dunwell.lending.errors import KEY
            from dunwell.lending.error_codes import Code
            def f():
                raise InvalidInput("x", code="shared_must_hold")
            def g():
                raise InvalidInput("x", code=KEY)
            def h():
                raise InvalidInput("x", code=Code.ENUMERATED_MUST_HOLD)
            ''',
        "lending/error_codes.py": '''
            from enum import StrEnum
            class Code(StrEnum):
                ENUMERATED_MUST_HOLD = "enumerated_must_hold"
            ''',
        "channels/a.py": '''
            from dunwell.core.errors import InvalidInput
            def f():
                raise InvalidInput("x", code="sibling_must_hold")
            ''',
        "field/b.py": '''
            from dunwell.core.errors import InvalidInput
            def f():
                raise InvalidInput("x", code="sibling_must_hold")
            ''',
    })
    assert result.problems == []
    assert result.packages("shared_must_hold") == {"app", "lending"}
    assert result.owner("shared_must_hold") == "lending"
    assert result.owner("key_must_match") == "lending"
    assert result.owner("enumerated_must_hold") == "lending"
    assert result.owner("sibling_must_hold") is None
    assert [c.split(":")[0] for c in result.conflicts()] == ["sibling_must_hold"]
    assert "sibling_must_hold" not in result.by_package()["channels"]


def test_check_names_missing_and_stale_codes_and_write_fixes_them(tmp_path: Path) -> None:
    src = _tree(tmp_path, {"lending/rules.py": '''
        from dunwell.core.errors import InvalidInput
        def f():
            raise InvalidInput("x", code="amount_must_be_positive")
        '''})
    (src / "dunwell" / "lending" / "error_codes.py").write_text(
        tool.render("lending", ["rate_must_be_known"]), encoding="utf-8")
    result = tool.scan(src, tmp_path, LAYERS)
    problems = tool.check(result, src)
    assert any("lending/error_codes.py: missing amount_must_be_positive (raised at "
               "src/dunwell/lending/rules.py:4)" in p for p in problems)
    assert any("lending/error_codes.py: stale rate_must_be_known (raised nowhere)" in p
               for p in problems)
    assert any("core/error_codes.py: missing" in p for p in problems)
    tool.write(result, src)
    assert tool.check(tool.scan(src, tmp_path, LAYERS), src) == []
    assert tool.enumerated(src / "dunwell" / "lending" / "error_codes.py") == [
        "amount_must_be_positive"]


def test_render_wraps_long_members_as_the_formatter_does() -> None:
    long_code = "certificate_signer_must_be_trainer_or_compliance_officer"
    text = tool.render("training", ["a_must_b", long_code])
    assert max(len(line) for line in text.splitlines()) <= tool.LINE_MAX
    assert f'    {long_code.upper()} = (\n        "{long_code}"\n    )\n' in text
    namespace: dict[str, object] = {}
    exec(compile(text, "error_codes.py", "exec"), namespace)
    code = namespace["Code"]
    assert [m.value for m in code] == ["a_must_b", long_code]  # type: ignore[attr-defined]


def test_the_layers_come_from_the_import_contract() -> None:
    layers = tool.read_layers(ROOT / "pyproject.toml")
    rank = {p: i for i, layer in enumerate(layers) for p in layer}
    assert rank["cli"] < rank["app"] < rank["store"] < rank["lending"] < rank["core"]


def test_a_forbidden_import_makes_a_shared_code_a_conflict(tmp_path: Path) -> None:
    files = {
        "lending/rules.py": '''
            from dunwell.core.errors import InvalidInput
            def f():
                raise InvalidInput("x", code="book_must_be_open")
            ''',
        "api/app.py": '''
            STATUS_BY_CODE = {"book_must_be_open": 503}
            ''',
    }
    src = _tree(tmp_path, files)
    assert tool.scan(src, tmp_path, LAYERS).owner("book_must_be_open") == "lending"
    ruled_out = tool.scan(src, tmp_path, LAYERS, forbidden=[("api", "lending")])
    assert ruled_out.owner("book_must_be_open") is None
    assert len(ruled_out.conflicts()) == 1


def test_forbidden_pairs_come_from_the_forbidden_contracts(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(textwrap.dedent('''
        [[tool.importlinter.contracts]]
        name = "Shells reach the store through the application"
        type = "forbidden"
        source_modules = ["dunwell.api", "dunwell.cli.main"]
        forbidden_modules = ["dunwell.store", "sqlalchemy"]
        '''), encoding="utf-8")
    assert tool.read_forbidden(pyproject) == {("api", "store"), ("cli", "store")}
