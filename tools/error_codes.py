"""Error codes enumerated per package: find every code the source raises, check or
write ``src/dunwell/<package>/error_codes.py``.

usage: python tools/error_codes.py [--check | --write | --list | --shared]

``--check`` (the default) exits 1 naming each code missing from, or stale in, an
enumeration file, and each place whose code cannot be told; ``--write`` rewrites the
files that are out of date; ``--list`` prints every code with its owner and where it
is raised; ``--shared`` the codes raised by more than one package, and their owner.

What counts as raising a code (read with :mod:`ast`, nothing is imported):

- a ``code = "..."`` attribute in the body of a :class:`DomainError` subclass;
- ``code=<expr>`` passed to a :class:`DomainError` subclass, where ``<expr>`` is a
  string, a module-level constant (imported or not), ``Code.MEMBER`` of an enumeration
  file, a local variable assigned one of these, an f-string of them, a parameter of the
  enclosing function (then each call of that function, and the parameter's default,
  says which), ``d.get(k, default)`` or ``d[k]`` of a module-level dict, or a string
  method (``strip``, ``replace``...) applied to one of them. ``<something>.code``
  passes an existing error's code on and raises nothing new;
- in the shells (``api``, ``cli``), which turn failures into codes in several ways
  (JSON bodies, exit lines), every string shaped like a code that says what must hold
  (``..._must_...``).

A code belongs to the innermost package it occurs in (the layers of the import-linter
contract in ``pyproject.toml``, lowest last): the package that raises it or writes its
string. Its forbidden contracts count too: a package may not own a code raised by one
that must not import it. An outer package raising it imports it from there. A code raised by two
packages neither of which may import the other is a conflict: move it to a package
both may import. A top-level module (``bootstrap.py``) counts as the outermost package
below it (``app``).

Modules whose text says neither ``code`` nor ``_must_`` are read only when a name is
looked up in them (a constant, a base class), which keeps a run under two seconds:
such a module passes no ``code=`` and writes no code that says what must hold.
"""

from __future__ import annotations

import argparse
import ast
import itertools
import re
import sys
import time
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROOT_PACKAGE = "dunwell"
#: Every top-level package gets an enumeration file, even an empty one.
PACKAGES = ("core", "ledger", "lending", "cob", "compliance", "collections", "risk",
            "origination", "negotiation", "channels", "field", "legal", "complaints", "training",
            "identity",
            "analytics",
            "app",
            "api", "cli", "store", "providers", "simulation")
#: Packages where every string shaped like :data:`MUST_SHAPE` is a code.
SHELLS = frozenset({"api", "cli"})
GENERATED = "error_codes.py"
ERROR_ROOT = ("dunwell.core.errors", "DomainError")
CODE_SHAPE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")
MUST_SHAPE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*_must_[a-z0-9]+(?:_[a-z0-9]+)*")
LAYERS_CONTRACT = "layers"
STR_METHODS = frozenset({"strip", "lstrip", "rstrip", "replace", "lower", "upper",
                         "removeprefix", "removesuffix"})
SPLIT_METHODS = frozenset({"split", "rsplit", "partition", "rpartition"})
LINE_MAX = 100
#: The nodes that bind local names in a function.
BINDING_NODES = frozenset({ast.Assign, ast.AnnAssign, ast.NamedExpr, ast.AugAssign, ast.For,
                           ast.AsyncFor, ast.comprehension, ast.withitem, ast.ExceptHandler})
#: A piece of a code that cannot be told from the source.
WILD = "\x00"


@dataclass(frozen=True, order=True)
class Site:
    """A place a code occurs: where it is raised or where its string is written."""

    path: str
    line: int
    package: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


Found = tuple[str, frozenset[Site]]


@dataclass
class Function:
    node: ast.FunctionDef | ast.AsyncFunctionDef
    module: str
    qualname: str
    parent: Function | None
    cls: ast.ClassDef | None
    locals: dict[str, list[ast.expr | None]] = field(default_factory=dict)
    nested: dict[str, Function] = field(default_factory=dict)

    def params(self) -> list[ast.arg]:
        a = self.node.args
        return [*a.posonlyargs, *a.args, *a.kwonlyargs,
                *([a.vararg] if a.vararg else []), *([a.kwarg] if a.kwarg else [])]

    def is_param(self, name: str) -> bool:
        return any(p.arg == name for p in self.params())


@dataclass
class Module:
    name: str
    path: Path
    rel: str
    tree: ast.Module
    package: str
    generated: bool
    #: Module-level names: imports (``("module", m)``/``("from", m, a)``), values,
    #: classes and functions.
    names: dict[str, tuple[object, ...]] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    #: The nodes that may raise a code, with where they are.
    nodes: list[tuple[ast.AST, Ctx]] = field(default_factory=list)


Binding = tuple[ast.Call | None, "Ctx | None"]


@dataclass(frozen=True)
class Ctx:
    """Where an expression is read: its module, function and class, and for each
    enclosing function whose parameters are being read, the call that passes them."""

    module: Module
    func: Function | None = None
    cls: ast.ClassDef | None = None
    bindings: dict[int, Binding] = field(default_factory=dict)


@dataclass
class Scan:
    """Every code with the places it occurs, and the places whose code is unknown."""

    sites: dict[str, set[Site]]
    problems: list[str]
    layers: list[frozenset[str]]
    #: Strings that say what must hold but name something else than an error: the
    #: members of other enumerations (referral criteria...).
    vocabulary: frozenset[str] = frozenset()
    #: (importer, imported) pairs a forbidden import contract rules out.
    forbidden: frozenset[tuple[str, str]] = frozenset()

    def packages(self, code: str) -> set[str]:
        """The packages the code occurs in (a top-level module counts as its home)."""
        return {self.home(s.package) for s in self.sites[code]}

    def home(self, package: str) -> str:
        """``package`` if it is one of :data:`PACKAGES`; for a top-level module such as
        ``bootstrap``, the outermost package below it in the layers (``app``)."""
        if package in PACKAGES:
            return package
        rank = self.rank(package)
        if rank is None:
            return package
        for layer in self.layers[rank + 1:]:
            listed = sorted(layer & set(PACKAGES))
            if listed:
                return listed[0]
        return package

    def rank(self, package: str) -> int | None:
        for i, layer in enumerate(self.layers):
            if package in layer:
                return i
        return None

    def may_import(self, importer: str, imported: str) -> bool:
        """Whether ``importer`` may import ``imported`` under the import contracts."""
        if importer == imported:
            return True
        if (importer, imported) in self.forbidden:
            return False
        outer, inner = self.rank(importer), self.rank(imported)
        return outer is not None and inner is not None and inner > outer

    def owner(self, code: str) -> str | None:
        """The innermost package the code occurs in, or None for a conflict."""
        packages = self.packages(code)
        ranked = [(self.rank(p), p) for p in packages]
        if any(r is None for r, _ in ranked):
            return None
        deepest = max(r for r, _ in ranked if r is not None)
        owners = [p for r, p in ranked if r == deepest]
        if len(owners) != 1 or not all(self.may_import(p, owners[0]) for p in packages):
            return None
        return owners[0]

    def conflicts(self) -> list[str]:
        out = []
        for code in sorted(self.sites):
            if self.owner(code) is None:
                where = ", ".join(f"{s.package} ({s})" for s in sorted(self.sites[code]))
                out.append(f"{code}: occurs in packages that cannot share it through "
                           f"imports: {where}; move it to a package they all may import")
        return out

    def by_package(self) -> dict[str, list[str]]:
        """The codes each package owns, sorted (conflicts left out)."""
        owned: dict[str, list[str]] = {p: [] for p in PACKAGES}
        for code in sorted(self.sites):
            owner = self.owner(code)
            if owner is not None:
                owned.setdefault(owner, []).append(code)
        return owned

    def shared(self) -> dict[str, set[str]]:
        """Codes that occur in more than one package -> those packages."""
        return {c: self.packages(c) for c in sorted(self.sites) if len(self.packages(c)) > 1}


class Unresolved(Exception):
    """The code of an expression cannot be told from the source."""


class NeedsBinding(Exception):
    """An expression reads a parameter of ``fn``: read it once per call of ``fn``."""

    def __init__(self, fn: Function) -> None:
        super().__init__(fn.qualname)
        self.fn = fn


class Scanner:
    def __init__(self, src: Path, root: Path) -> None:
        self.src = src
        self.root = root
        self.modules: dict[str, Module] = {}
        self.calls: dict[tuple[str, str], list[tuple[ast.Call, Ctx]]] = {}
        self.calls_by_name: dict[str, list[tuple[ast.Call, Ctx]]] = defaultdict(list)
        self.sites: dict[str, set[Site]] = defaultdict(set)
        self.problems: list[str] = []
        self._error_class: dict[tuple[str, str], bool] = {}
        self._expanding: set[int] = set()
        self.paths: dict[str, Path] = {}
        self.vocabulary: set[str] = set()

    # ------------------------------------------------------------------ indexing
    def load(self) -> None:
        """Read the modules that may raise a code (their text says ``code`` or
        ``_must_``); the others are read when a name is looked up in them."""
        for path in sorted((self.src / ROOT_PACKAGE).rglob("*.py")):
            parts = path.relative_to(self.src).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            self.paths[name] = path
        for name, path in self.paths.items():
            text = path.read_bytes()
            if b"code" in text or b"_must_" in text:
                self._load(name, text)

    def module(self, name: str) -> Module | None:
        """The module ``name`` of the package, read on first use."""
        if name not in self.modules and name in self.paths:
            self._load(name, self.paths[name].read_bytes())
        return self.modules.get(name)

    def _load(self, name: str, text: bytes) -> Module:
        path = self.paths[name]
        parts = name.split(".")
        tree = ast.parse(text, filename=str(path))
        module = Module(name, path, _rel(path, self.root), tree,
                        parts[1] if len(parts) > 1 else "", path.name == GENERATED)
        self.modules[name] = module
        for stmt in tree.body:
            self._index_statement(module, stmt)
        self._traverse(module, tree, Ctx(module), "")
        return module

    def _index_statement(self, module: Module, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.ClassDef):
            module.names[stmt.name] = ("class", stmt)
            module.classes[stmt.name] = stmt
        elif isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    module.names[target.id] = ("value", stmt.value)
        elif isinstance(stmt, ast.If | ast.Try):
            for inner in [*stmt.body, *stmt.orelse]:
                self._index_statement(module, inner)

    def _traverse(self, module: Module, node: ast.AST, ctx: Ctx, prefix: str) -> None:
        """One pass over a module: imports, functions with their locals, and the nodes
        that may raise a code (calls, classes, strings in the shells)."""
        for child in ast.iter_child_nodes(node):
            self._visit_node(module, child, ctx, prefix)

    def _visit_node(self, module: Module, node: ast.AST, ctx: Ctx, prefix: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self._enter_function(module, node, ctx, prefix)
            return
        if isinstance(node, ast.ClassDef):
            self._enter_class(module, node, ctx, prefix)
            return
        if isinstance(node, ast.Call):
            self._enter_call(module, node, ctx)
        elif isinstance(node, ast.Constant):
            if (module.package in SHELLS and isinstance(node.value, str)
                    and MUST_SHAPE.fullmatch(node.value)):
                module.nodes.append((node, ctx))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            self._import(module, node)
        elif ctx.func is not None and type(node) in BINDING_NODES:
            _bind_node(ctx.func, node)
        self._traverse(module, node, ctx, prefix)

    def _enter_function(self, module: Module, node: ast.FunctionDef | ast.AsyncFunctionDef,
                        ctx: Ctx, prefix: str) -> None:
        fn = ctx.func
        new = Function(node, module.name, prefix + node.name, fn, ctx.cls)
        module.functions[new.qualname] = new
        if fn is not None:
            fn.nested[node.name] = new
        elif ctx.cls is None:
            module.names[node.name] = ("function", new)
        for outer in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
            if outer is not None:
                self._visit_node(module, outer, ctx, prefix)
        inner = Ctx(module, new, ctx.cls)
        for statement in node.body:
            self._visit_node(module, statement, inner, f"{new.qualname}.")

    def _enter_class(self, module: Module, node: ast.ClassDef, ctx: Ctx, prefix: str) -> None:
        module.nodes.append((node, ctx))
        inner = Ctx(module, ctx.func, node)
        for part in [*node.decorator_list, *node.bases, *node.keywords, *node.body]:
            self._visit_node(module, part, inner, f"{prefix}{node.name}.")

    def _enter_call(self, module: Module, node: ast.Call, ctx: Ctx) -> None:
        module.nodes.append((node, ctx))
        callee = node.func
        name = (callee.id if isinstance(callee, ast.Name)
                else callee.attr if isinstance(callee, ast.Attribute) else None)
        if name is not None:
            self.calls_by_name[name].append((node, ctx))

    @staticmethod
    def _import(module: Module, node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    module.names[alias.asname] = ("module", alias.name)
                else:
                    top = alias.name.split(".")[0]
                    module.names.setdefault(top, ("module", top))
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module.name, module.path.name == "__init__.py", node.module,
                             node.level)
            for alias in node.names:
                module.names.setdefault(alias.asname or alias.name, ("from", base, alias.name))

    # ------------------------------------------------------------------ lookups
    def lookup(self, module_name: str, name: str, depth: int = 0) -> tuple[Module, tuple[
            object, ...]] | None:
        """What ``name`` is at the top level of ``module_name``, imports followed."""
        module = self.module(module_name)
        if module is None or depth > 20:
            return None
        binding = module.names.get(name)
        if binding is None:
            sub = f"{module_name}.{name}"
            return (module, ("module", sub)) if sub in self.paths else None
        if binding[0] == "from":
            target, attr = str(binding[1]), str(binding[2])
            if f"{target}.{attr}" in self.paths:
                return module, ("module", f"{target}.{attr}")
            return self.lookup(target, attr, depth + 1)
        return module, binding

    def resolve_ref(self, expr: ast.expr, ctx: Ctx) -> tuple[Module, tuple[object, ...]] | None:
        """What a Name or a dotted Attribute chain refers to at module level."""
        if isinstance(expr, ast.Name):
            if ctx.func is not None and _local_function(ctx.func, expr.id) is not None:
                fn = _local_function(ctx.func, expr.id)
                assert fn is not None
                return ctx.module, ("function", fn)
            return self.lookup(ctx.module.name, expr.id)
        if isinstance(expr, ast.Attribute):
            if (isinstance(expr.value, ast.Name) and expr.value.id in ("self", "cls")
                    and ctx.func is not None and ctx.func.cls is not None):
                fn = ctx.module.functions.get(f"{ctx.func.cls.name}.{expr.attr}")
                return (ctx.module, ("function", fn)) if fn is not None else None
            base = self.resolve_ref(expr.value, ctx)
            if base is not None and base[1][0] == "module":
                return self.lookup(str(base[1][1]), expr.attr)
        return None

    def is_error_class(self, module: Module, cls: ast.ClassDef, depth: int = 0) -> bool:
        key = (module.name, cls.name)
        if key == ERROR_ROOT:
            return True
        if key in self._error_class:
            return self._error_class[key]
        self._error_class[key] = False
        result = depth < 30 and any(
            self._base_is_error(base, module, depth) for base in cls.bases)
        self._error_class[key] = result
        return result

    def _base_is_error(self, base: ast.expr, module: Module, depth: int) -> bool:
        ref = self.resolve_ref(base, Ctx(module))
        if ref is None or ref[1][0] != "class":
            return False
        owner, binding = ref
        cls = binding[1]
        assert isinstance(cls, ast.ClassDef)
        return self.is_error_class(owner, cls, depth + 1)

    # ------------------------------------------------------------------ walking
    def callers(self, fn: Function) -> list[tuple[ast.Call, Ctx]]:
        """The calls of ``fn`` in the modules read (found by name, then resolved)."""
        key = (fn.module, fn.qualname)
        if key not in self.calls:
            found = []
            for call, ctx in self.calls_by_name.get(fn.node.name, []):
                ref = self.resolve_ref(call.func, ctx)
                if ref is not None and ref[1][0] == "function" and ref[1][1] is fn:
                    found.append((call, ctx))
            self.calls[key] = found
        return self.calls[key]

    def collect(self) -> None:
        for module in list(self.modules.values()):
            if module.generated:
                continue
            for node, ctx in module.nodes:
                self._visit(node, ctx)

    def _visit(self, node: ast.AST, ctx: Ctx) -> None:
        module = ctx.module
        if isinstance(node, ast.ClassDef):
            self._visit_class(node, ctx)
        elif isinstance(node, ast.Call) and any(k.arg == "code" for k in node.keywords):
            ref = self.resolve_ref(node.func, ctx)
            cls = ref[1][1] if ref is not None and ref[1][0] == "class" else None
            precise = (isinstance(cls, ast.ClassDef) and ref is not None
                       and self.is_error_class(ref[0], cls))
            for keyword in node.keywords:
                if keyword.arg == "code":
                    self.record(keyword.value, ctx, loose=not precise)
        elif (module.package in SHELLS and isinstance(node, ast.Constant)
              and isinstance(node.value, str) and MUST_SHAPE.fullmatch(node.value)):
            self.sites[node.value].add(self.site(module, node))

    def _visit_class(self, node: ast.ClassDef, ctx: Ctx) -> None:
        """An error class's ``code``; another class's ``code`` default when it says
        what must hold (a refusal carried until it is raised); the string members of
        other classes (other vocabularies, such as referral criteria)."""
        error = self.is_error_class(ctx.module, node)
        scope = Ctx(ctx.module, ctx.func, node)
        for stmt in node.body:
            value = _code_assignment(stmt)
            if value is not None:
                self.record(value, scope, loose=not error)
            elif (not error and isinstance(stmt, ast.Assign | ast.AnnAssign)
                  and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)
                  and MUST_SHAPE.fullmatch(stmt.value.value)):
                self.vocabulary.add(stmt.value.value)

    def record(self, expr: ast.expr, ctx: Ctx, *, loose: bool = False) -> None:
        """The codes of ``expr``. ``loose``: ``code=`` given to something that is not an
        error class (a refusal, a provider failure): only strings that say what must
        hold count, and what cannot be told is no problem."""
        known = len(self.problems)
        for code, sites in self.values(expr, ctx):
            if loose and not MUST_SHAPE.fullmatch(code):
                continue
            if WILD in code:
                self.problems.append(f"{self.site(ctx.module, expr)}: the code of "
                                     f"`{ast.unparse(expr)}` cannot be told from the source "
                                     f"(it is {code.replace(WILD, '<?>')!r})")
            else:
                self.sites[code].update(sites)
        if loose:
            del self.problems[known:]

    def site(self, module: Module, node: ast.AST) -> Site:
        return Site(module.rel, getattr(node, "lineno", 0), module.package)

    # ------------------------------------------------------------------ values
    def values(self, expr: ast.expr, ctx: Ctx) -> set[Found]:
        """The codes ``expr`` may be; a problem is recorded if that cannot be told."""
        try:
            return self._scoped(expr, ctx)
        except Unresolved as exc:
            self.problems.append(f"{self.site(ctx.module, expr)}: {exc}")
            return set()

    def _scoped(self, expr: ast.expr, ctx: Ctx) -> set[Found]:
        """``expr`` in ``ctx``; where it reads a parameter of a function not yet bound,
        once per call of that function with the arguments of that call (so that
        ``noun or field`` reads ``noun`` and ``field`` from the same call)."""
        try:
            return self._values(expr, ctx)
        except NeedsBinding as need:
            fn = need.fn
            if id(fn.node) in ctx.bindings or id(fn.node) in self._expanding:
                return set()  # a recursive call passes its own parameter on
            self._expanding.add(id(fn.node))
            try:
                return self._each_call(expr, ctx, fn)
            finally:
                self._expanding.discard(id(fn.node))

    def _each_call(self, expr: ast.expr, ctx: Ctx, fn: Function) -> set[Found]:
        calls: list[tuple[ast.Call | None, Ctx | None]] = list(
            self.callers(fn)) or [(None, None)]
        out: set[Found] = set()
        for call, caller in calls:
            bound = Ctx(ctx.module, ctx.func, ctx.cls,
                        {**ctx.bindings, id(fn.node): (call, caller)})
            try:
                out |= self._scoped(expr, bound)
            except Unresolved as exc:
                where = (self.site(caller.module, call) if call is not None and caller
                         else self.site(ctx.module, expr))
                self.problems.append(f"{where}: {exc}")
        return out

    def _values(self, expr: ast.expr, ctx: Ctx) -> set[Found]:
        here = frozenset({self.site(ctx.module, expr)})
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return {(expr.value, here)}
        if isinstance(expr, ast.Constant) and expr.value is None:  # the class's own code
            return set()
        if isinstance(expr, ast.JoinedStr):
            return self._fstring(expr, ctx, here)
        if isinstance(expr, ast.Name):
            return self._name(expr.id, ctx, here)
        if isinstance(expr, ast.Attribute):
            return self._attribute(expr, ctx, here)
        if isinstance(expr, ast.Call):
            return self._call(expr, ctx)
        if isinstance(expr, ast.Subscript):
            return self._subscript(expr, ctx)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            return self._joined([self._part(expr.left, ctx), self._part(expr.right, ctx)])
        if isinstance(expr, ast.BoolOp):
            return self._bool(expr, ctx)
        if isinstance(expr, ast.IfExp):
            return self._values(expr.body, ctx) | self._values(expr.orelse, ctx)
        raise Unresolved(f"the code of `{ast.unparse(expr)}` cannot be told from the source")

    def _bool(self, expr: ast.BoolOp, ctx: Ctx) -> set[Found]:
        """``a or b``: ``b`` counts only when ``a`` may be empty or None."""
        out: set[Found] = set()
        for value in expr.values:
            found = self._values(value, ctx)
            out |= found
            if isinstance(expr.op, ast.Or) and found and all(code for code, _ in found):
                break
        return out

    def _fstring(self, expr: ast.JoinedStr, ctx: Ctx, here: frozenset[Site]) -> set[Found]:
        choices: list[set[Found]] = []
        for part in expr.values:
            if isinstance(part, ast.Constant):
                choices.append({(str(part.value), here)})
            elif isinstance(part, ast.FormattedValue) and part.format_spec is None:
                choices.append(self._part(part.value, ctx))
            else:
                choices.append({(WILD, here)})
        return self._joined(choices)

    def _part(self, expr: ast.expr, ctx: Ctx) -> set[Found]:
        """A piece of a larger string: :data:`WILD` when it cannot be told (the code is
        known if a later step drops it, as ``field.rsplit(".", 1)[-1]`` may)."""
        try:
            return self._values(expr, ctx)
        except Unresolved:
            return {(WILD, frozenset({self.site(ctx.module, expr)}))}

    @staticmethod
    def _joined(choices: list[set[Found]]) -> set[Found]:
        out: set[Found] = set()
        for combo in itertools.product(*choices):
            out.add(("".join(c for c, _ in combo), frozenset().union(*(s for _, s in combo))))
        return out

    def _name(self, name: str, ctx: Ctx, here: frozenset[Site]) -> set[Found]:
        fn = ctx.func
        while fn is not None:
            if fn.is_param(name):
                return self._param(fn, name, ctx)
            if name in fn.locals:
                exprs = fn.locals[name]
                if any(e is None for e in exprs):
                    raise Unresolved(f"`{name}` is bound by a loop, `with`, `except` or "
                                     "unpacking")
                scope = Ctx(ctx.module, fn, fn.cls, ctx.bindings)
                return set().union(*(self._values(e, scope) for e in exprs if e is not None))
            fn = fn.parent
        ref = self.lookup(ctx.module.name, name)
        if ref is None or ref[1][0] != "value":
            raise Unresolved(f"`{name}` is not a string constant")
        value = ref[1][1]
        assert isinstance(value, ast.expr)
        return {(code, sites | here) for code, sites in self._values(value, Ctx(ref[0]))}

    def _attribute(self, expr: ast.Attribute, ctx: Ctx, here: frozenset[Site]) -> set[Found]:
        base = self.resolve_ref(expr.value, ctx)
        if base is not None and base[1][0] == "module":
            ref = self.lookup(str(base[1][1]), expr.attr)
            if ref is not None and ref[1][0] == "value":
                value = ref[1][1]
                assert isinstance(value, ast.expr)
                return {(c, s | here) for c, s in self._values(value, Ctx(ref[0]))}
        if base is not None and base[1][0] == "class":
            cls = base[1][1]
            assert isinstance(cls, ast.ClassDef)
            found = self._class_attribute(base[0], cls, expr.attr)
            if found is not None:
                return {(c, s | here) for c, s in found}
        if expr.attr == "code":  # an existing error's code, passed on
            return set()
        raise Unresolved(f"`{ast.unparse(expr)}` is not a string constant")

    def _class_attribute(self, module: Module, cls: ast.ClassDef, attr: str,
                         depth: int = 0) -> set[Found] | None:
        for stmt in cls.body:
            target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(
                stmt.targets) == 1 else getattr(stmt, "target", None)
            value = getattr(stmt, "value", None)
            if (isinstance(target, ast.Name) and target.id == attr
                    and isinstance(value, ast.expr)):
                return self._values(value, Ctx(module, None, cls))
        for base in cls.bases:
            ref = self.resolve_ref(base, Ctx(module))
            if ref is not None and ref[1][0] == "class" and depth < 30:
                parent = ref[1][1]
                assert isinstance(parent, ast.ClassDef)
                found = self._class_attribute(ref[0], parent, attr, depth + 1)
                if found is not None:
                    return found
        return None

    def _call(self, expr: ast.Call, ctx: Ctx) -> set[Found]:
        func = expr.func
        if isinstance(func, ast.Attribute) and func.attr in STR_METHODS and not expr.keywords:
            receivers = self._values(func.value, ctx)
            args = [self._values(a, ctx) for a in expr.args]
            out: set[Found] = set()
            for (text, sites), *chosen in itertools.product(receivers, *args):
                result = getattr(text, func.attr)(*(c for c, _ in chosen))
                out.add((result, sites.union(*(s for _, s in chosen))))
            return out
        if isinstance(func, ast.Attribute) and func.attr == "get" and 1 <= len(expr.args) <= 2:
            found = self._dict_values(func.value, ctx)
            if len(expr.args) == 2:
                found |= self._values(expr.args[1], ctx)
            return found
        raise Unresolved(f"the code returned by `{ast.unparse(expr)}` cannot be told")

    def _subscript(self, expr: ast.Subscript, ctx: Ctx) -> set[Found]:
        """``text.split(sep)[i]`` (and ``rsplit``, ``partition``...) or ``mapping[key]``."""
        call, index = expr.value, expr.slice
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr in SPLIT_METHODS and not call.keywords
                and isinstance(index, ast.Constant | ast.UnaryOp)):
            position = ast.literal_eval(index)
            receivers = self._values(call.func.value, ctx)
            args = [ast.literal_eval(a) for a in call.args]
            return {(getattr(text, call.func.attr)(*args)[position], sites)
                    for text, sites in receivers}
        return self._dict_values(expr.value, ctx)

    def _dict_values(self, expr: ast.expr, ctx: Ctx) -> set[Found]:
        ref = self.resolve_ref(expr, ctx) if isinstance(expr, ast.Name | ast.Attribute) else None
        if ref is None or ref[1][0] != "value" or not isinstance(ref[1][1], ast.Dict):
            raise Unresolved(f"`{ast.unparse(expr)}` is not a module-level dict")
        mapping = ref[1][1]
        here = frozenset({self.site(ctx.module, expr)})
        scope = Ctx(ref[0])
        return {(c, s | here) for v in mapping.values for c, s in self._values(v, scope)}

    def _param(self, fn: Function, name: str, ctx: Ctx) -> set[Found]:
        """A parameter's codes: what the bound call passes, or the default."""
        binding = ctx.bindings.get(id(fn.node))
        if binding is None:
            raise NeedsBinding(fn)
        call, caller = binding
        position, default = _param_slot(fn, name)
        arg: object = _MISSING
        if call is not None:
            arg = _argument(call, name, position)
        if arg is None:
            raise Unresolved(f"the call passes `{name}` of {fn.qualname}() through * or **")
        if isinstance(arg, ast.expr):
            assert caller is not None
            return self._scoped(arg, caller)
        if default is None:
            raise Unresolved(f"`{name}` is a parameter of {fn.qualname}(), which is never "
                             "called where its value can be read")
        return self._values(default, Ctx(self.modules[fn.module]))


_MISSING = object()


def _param_slot(fn: Function, name: str) -> tuple[int | None, ast.expr | None]:
    """The positional index of parameter ``name`` (None if keyword-only) and its default."""
    a = fn.node.args
    positional = [*a.posonlyargs, *a.args]
    for i, arg in enumerate(positional):
        if arg.arg == name:
            first_default = len(positional) - len(a.defaults)
            default = a.defaults[i - first_default] if i >= first_default else None
            offset = 1 if fn.cls is not None and positional[0].arg in ("self", "cls") else 0
            return i - offset, default
    for arg, kw_default in zip(a.kwonlyargs, a.kw_defaults, strict=True):
        if arg.arg == name:
            return None, kw_default
    return None, None


def _argument(call: ast.Call, name: str, position: int | None) -> object:
    """The expression a call passes for parameter ``name``; None when it passes it
    through ``*``/``**``; :data:`_MISSING` when it relies on the default."""
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    starred = any(isinstance(a, ast.Starred) for a in call.args)
    if position is not None and not starred and position < len(call.args):
        return call.args[position]
    if starred or any(k.arg is None for k in call.keywords):
        return None
    return _MISSING


def _code_assignment(stmt: ast.stmt) -> ast.expr | None:
    """The value of ``code = ...`` (or ``code: str = ...``) in a class body."""
    if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == "code"):
        return stmt.value
    if (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
            and stmt.target.id == "code"):
        return stmt.value
    return None


def _bind(fn: Function, target: ast.expr, value: ast.expr | None) -> None:
    if isinstance(target, ast.Name):
        fn.locals.setdefault(target.id, []).append(value)
        return
    for name in ast.walk(target):  # unpacking: the value of each name is unknown
        if isinstance(name, ast.Name):
            fn.locals.setdefault(name.id, []).append(None)


def _bind_node(fn: Function, node: ast.AST) -> None:
    """Record the local names a statement or expression of ``fn`` binds."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            _bind(fn, target, node.value)
    elif isinstance(node, ast.AnnAssign | ast.NamedExpr):
        _bind(fn, node.target, node.value)
    elif isinstance(node, ast.AugAssign | ast.For | ast.AsyncFor | ast.comprehension):
        _bind(fn, node.target, None)
    elif isinstance(node, ast.withitem) and node.optional_vars is not None:
        _bind(fn, node.optional_vars, None)
    elif isinstance(node, ast.ExceptHandler) and node.name:
        fn.locals.setdefault(node.name, []).append(None)


def _local_function(fn: Function, name: str) -> Function | None:
    scope: Function | None = fn
    while scope is not None:
        if name in scope.nested:
            return scope.nested[name]
        scope = scope.parent
    return None


def _absolute(module: str, is_package: bool, target: str | None, level: int) -> str:
    if level == 0:
        return target or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, target] if target else base)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def read_layers(pyproject: Path) -> list[frozenset[str]]:
    """The layers of the import-linter layers contract, outermost first, as package
    names without the root (``"dunwell.store | dunwell.providers"`` is one layer of
    independent siblings, ``"dunwell.api : dunwell.web"`` one of siblings that may
    import each other)."""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    for contract in contracts:
        if contract.get("type") == LAYERS_CONTRACT:
            return [frozenset(part.strip().removeprefix(f"{ROOT_PACKAGE}.")
                              for part in re.split(r"[|:]", layer))
                    for layer in contract["layers"]]
    raise LookupError(f"no {LAYERS_CONTRACT} contract in {pyproject}")


def read_forbidden(pyproject: Path) -> frozenset[tuple[str, str]]:
    """(importer, imported) package pairs a forbidden contract rules out, among the
    packages of the root (``api`` may not import ``store``, say)."""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    pairs = set()
    for contract in config["tool"]["importlinter"]["contracts"]:
        if contract.get("type") == "forbidden":
            sources = _packages_named(contract.get("source_modules", []))
            forbidden = _packages_named(contract.get("forbidden_modules", []))
            pairs |= {(a, b) for a in sources for b in forbidden if a != b}
    return frozenset(pairs)


def _packages_named(modules: Iterable[str]) -> set[str]:
    prefix = f"{ROOT_PACKAGE}."
    return {m.removeprefix(prefix).split(".")[0] for m in modules if m.startswith(prefix)}


def scan(src: Path | None = None, root: Path | None = None,
         layers: Sequence[frozenset[str]] | None = None,
         forbidden: Iterable[tuple[str, str]] | None = None) -> Scan:
    """Every code raised under ``src/dunwell``, where, and what could not be told.
    Without ``layers``, the layers and forbidden imports come from ``pyproject.toml``."""
    root = root or ROOT
    src = src or root / "src"
    scanner = Scanner(src, root)
    scanner.load()
    scanner.collect()
    if layers is None:
        layers = read_layers(root / "pyproject.toml")
        forbidden = read_forbidden(root / "pyproject.toml") if forbidden is None else forbidden
    return Scan({c: set(s) for c, s in scanner.sites.items()}, sorted(set(scanner.problems)),
                list(layers), frozenset(scanner.vocabulary - scanner.sites.keys()),
                frozenset(forbidden or ()))


# ---------------------------------------------------------------------- files
def render(package: str, codes: Iterable[str]) -> str:
    """The enumeration file of ``package``, formatted as ``ruff format`` leaves it."""
    lines = [
        f'"""Error codes of ``{ROOT_PACKAGE}.{package}``: the codes this package raises that no',
        "package below it owns. Generated by ``tools/error_codes.py``; do not edit.",
        "",
        "To add a code, raise it, then run ``.venv/bin/python tools/error_codes.py --write``.",
        '"""',
        "",
        "from enum import StrEnum",
        "",
        "",
        "class Code(StrEnum):",
        f'    """Every code ``{ROOT_PACKAGE}.{package}`` owns, sorted."""',
    ]
    members = sorted(codes)
    if members:
        lines.append("")
    for code in members:
        line = f'    {code.upper()} = "{code}"'
        if len(line) <= LINE_MAX:
            lines.append(line)
        else:
            lines += [f"    {code.upper()} = (", f'        "{code}"', "    )"]
    return "\n".join(lines) + "\n"


def enumerated(path: Path) -> list[str]:
    """The values of ``Code`` in an enumeration file (read, not imported)."""
    if not path.exists():
        return []
    tree = ast.parse(path.read_bytes())
    out = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Code":
            for stmt in node.body:
                if (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant)
                        and isinstance(stmt.value.value, str)):
                    out.append(stmt.value.value)
    return out


def file_for(src: Path, package: str) -> Path:
    return src / ROOT_PACKAGE / package / GENERATED


def check(result: Scan, src: Path) -> list[str]:
    """What is out of date or wrong; empty when every file is as it should be."""
    problems = [*result.problems, *result.conflicts()]
    for package, codes in result.by_package().items():
        path = file_for(src, package)
        if not path.parent.is_dir():
            problems += [f"{code}: owned by {package}, which is not a package"
                         for code in codes]
            continue
        have = enumerated(path)
        missing = sorted(set(codes) - set(have))
        stale = sorted(set(have) - set(codes))
        for code in missing:
            where = ", ".join(str(s) for s in sorted(result.sites[code])[:3])
            problems.append(f"{_rel(path, src.parent)}: missing {code} (raised at {where})")
        for code in stale:
            owner = result.owner(code) if code in result.sites else None
            why = f"now owned by {owner}" if owner else "raised nowhere"
            problems.append(f"{_rel(path, src.parent)}: stale {code} ({why})")
        if not path.exists():
            problems.append(f"{_rel(path, src.parent)}: missing; run --write")
        elif not missing and not stale and path.read_text(encoding="utf-8") != render(
                package, codes):
            problems.append(f"{_rel(path, src.parent)}: not as generated; run --write")
    return problems


def write(result: Scan, src: Path) -> list[Path]:
    """Rewrite the enumeration files that differ; returns those written."""
    written = []
    for package, codes in result.by_package().items():
        path = file_for(src, package)
        if not path.parent.is_dir():
            continue
        text = render(package, codes)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 when a file is out of date")
    mode.add_argument("--write", action="store_true", help="rewrite the files out of date")
    mode.add_argument("--list", action="store_true", help="print every code and its sites")
    mode.add_argument("--shared", action="store_true",
                      help="print the codes raised by several packages, and their owner")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    src = ROOT / "src"
    result = scan(src, ROOT)
    if args.list:
        for code in sorted(result.sites):
            sites = " ".join(str(s) for s in sorted(result.sites[code]))
            print(f"{code}\t{result.owner(code) or 'CONFLICT'}\t{sites}")
        return 0
    if args.shared:
        for code, packages in result.shared().items():
            print(f"{code}: {', '.join(sorted(packages))} -> {result.owner(code) or 'CONFLICT'}")
        return 0
    if args.write:
        for path in write(result, src):
            print(f"wrote {_rel(path, ROOT)}")
        problems = [*result.problems, *result.conflicts()]
    else:
        problems = check(result, src)
    for problem in problems:
        print(problem)
    elapsed = time.perf_counter() - started
    print(f"{len(result.sites)} codes in {len(PACKAGES)} packages, {len(problems)} "
          f"problem(s), {elapsed:.2f} s", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
