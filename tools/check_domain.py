"""AST checks over src/dunwell for ``make lint``; prints ``path:line: message``.

no-float (core, ledger, lending, cob): no ``float(...)``, float annotation or literal;
``# float-ok: <reason>`` ending a line exempts it, alone in the file header the file.
no-ambient (domain packages): no wall clock, ambient randomness or environment.
no-io (domain packages): no files, processes or network: no ``open()``, nothing from
``os``, ``pathlib``, ``shutil``, ``subprocess``, ``socket``, ``tempfile``, ``urllib``,
``http`` or ``sqlite3``. Reading the package's own data files (products, policies,
templates) through ``importlib.resources`` is allowed: they ship with the code and are
as constant as it is.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MONEY_PACKAGES = frozenset({"core", "ledger", "lending", "cob", "negotiation"})
DOMAIN_PACKAGES = MONEY_PACKAGES | {
    "compliance", "risk", "origination", "negotiation", "collections",
    "channels", "field", "legal", "complaints", "analytics", "training", "identity",
}  # fmt: skip
CLOCKS = frozenset({
    "datetime.datetime.now", "datetime.datetime.utcnow", "datetime.datetime.today",
    "datetime.date.today", "time.time", "time.time_ns", "time.monotonic",
    "time.monotonic_ns", "time.perf_counter", "time.perf_counter_ns", "uuid.uuid1",
})  # fmt: skip
ENVIRONMENT = frozenset({"os.environ", "os.environb", "os.getenv", "os.getenvb"})
#: Sources of randomness -> the generator types under them that may be named.
RANDOM_MODULES: dict[str, frozenset[str]] = {
    "random": frozenset({"Random"}), "numpy.random": frozenset({"Generator"}),
    "secrets": frozenset(), "uuid.uuid4": frozenset(),
}  # fmt: skip
#: Modules that reach files, processes or the network.
IO_MODULES = frozenset({"os", "pathlib", "shutil", "subprocess", "socket", "tempfile", "urllib",
                        "http", "sqlite3"})
DEFAULT_ROOT = Path(__file__).resolve().parents[1] / "src" / "dunwell"
FLOAT_OK = re.compile(r"#\s*float-ok:\s*\S")


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def ambient_use(dotted: str) -> str | None:
    """Why the resolved name ``dotted`` may not be used in the domain, or None."""
    parts = dotted.split(".")
    for end in range(1, len(parts) + 1):
        name, following = ".".join(parts[:end]), parts[end : end + 1]
        if name in CLOCKS:
            return f"{name} reads the clock; take the business date or a clock as an argument"
        if name in ENVIRONMENT:
            return f"{name} reads the environment; take configuration as an argument"
        allowed = RANDOM_MODULES.get(name)
        if allowed is not None and not (following and following[0] in allowed):
            return f"{dotted} draws ambient randomness; take a seeded generator as an argument"
    return None


def io_use(dotted: str) -> str | None:
    """Why the resolved name ``dotted`` is input or output the domain may not do."""
    top = dotted.split(".")[0]
    if top in IO_MODULES:
        return (f"{dotted} reaches files, processes or the network; do it in the store or a "
                "provider and pass the data in")
    return None


def _open_calls(tree: ast.Module) -> Iterator[ast.Call]:
    shadowed = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                for a in n.names}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "open" and "open" not in shadowed):
            yield node


def _float_problem(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "float":
        return "float() in money code; use int minor units or Decimal"
    if isinstance(node, ast.Constant) and isinstance(node.value, float):
        return f"float literal {node.value!r} in money code; use int minor units or Decimal"
    annotation = getattr(node, "returns", None) or getattr(node, "annotation", None)
    mentioned = ast.walk(annotation) if isinstance(annotation, ast.expr) else ()
    if any(isinstance(name, ast.Name) and name.id == "float" for name in mentioned):
        return "float annotation in money code; use int minor units or Decimal"
    return None


def _ambient_names(tree: ast.Module) -> Iterator[tuple[ast.expr, str]]:
    """Each outermost dotted name (``dt.datetime.now``) with its imports resolved."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                aliases[alias.asname or top] = alias.name if alias.asname else top
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    inner = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name | ast.Attribute) and id(node) not in inner:
            attrs: list[str] = []
            base: ast.expr = node
            while isinstance(base, ast.Attribute):
                attrs, base = [base.attr, *attrs], base.value
            if isinstance(base, ast.Name) and base.id in aliases:
                yield node, ".".join([aliases[base.id], *attrs])


def _float_ok(source: str, tree: ast.Module) -> tuple[set[int], bool]:
    """Lines ending in a float-ok marker, and whether one stands alone in the header."""
    after_docstring = tree.body[1:] if ast.get_docstring(tree) is not None else tree.body
    header_end = after_docstring[0].lineno if after_docstring else sys.maxsize
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    marks = [t for t in tokens if t.type == tokenize.COMMENT and FLOAT_OK.match(t.string)]
    alone = [t for t in marks if t.start[0] < header_end and not t.line[: t.start[1]].strip()]
    return {t.start[0] for t in marks}, bool(alone)


def check_source(source: str, path: str, *, money: bool, domain: bool) -> list[Finding]:
    """Findings for one module: ``money`` turns on no-float, ``domain`` no-ambient."""
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        return [Finding(path, exc.lineno or 0, f"cannot parse: {exc.msg}")]
    findings: set[Finding] = set()
    ok_lines, whole_file = _float_ok(source, tree)
    for node in ast.walk(tree) if money and not whole_file else ():
        problem, line = _float_problem(node), getattr(node, "lineno", 0)
        if problem and line not in ok_lines:
            findings.add(Finding(path, line, problem))
    for node, dotted in _ambient_names(tree) if domain else ():
        if reason := ambient_use(dotted) or io_use(dotted):
            findings.add(Finding(path, node.lineno, reason))
    for call in _open_calls(tree) if domain else ():
        findings.add(Finding(path, call.lineno, "open() reads or writes a file; do it in the "
                             "store or a provider and pass the data in"))
    return sorted(findings)


def check_tree(root: Path) -> list[Finding]:
    """Findings for every module under a package root such as ``src/dunwell``."""
    findings: list[Finding] = []
    for path in sorted(root.rglob("*.py")):
        package = path.relative_to(root).parts[0]
        money, domain = package in MONEY_PACKAGES, package in DOMAIN_PACKAGES
        if money or domain:
            source = path.read_text(encoding="utf-8")
            findings += check_source(source, str(path), money=money, domain=domain)
    return findings


def main(argv: list[str]) -> int:
    """``check_domain.py [ROOT]``: check ROOT (default src/dunwell); 1 on any finding."""
    findings = check_tree(Path(argv[0]) if argv else DEFAULT_ROOT)
    for finding in findings:
        print(finding)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
