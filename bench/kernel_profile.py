"""Statement-level timing of ``dunwell.cob.kernel`` while it closes a day.

A ``sys.settrace`` hook timestamps every line event in the kernel module's own
frames; the time until the frame's next line event is charged to the statement
that line belongs to (found with ``ast``), so a statement's time includes the NumPy
work and the helper calls it makes. The hook costs about a microsecond per line
event, nothing next to array passes over millions of rows. Each statement keeps its
best time over the runs; minor page faults (fresh memory for full-size temporaries)
are counted per statement. :func:`chunked_day` times the same kernel on cache-sized
slices of the batch, which shows what the full-size temporaries cost.
"""

from __future__ import annotations

import ast
import gc
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path
from types import FrameType
from typing import Any

import dunwell.cob.kernel as kernel
from dunwell.cob.batch import INST_COLUMNS, LOAN_COLUMNS, LoanBatch, from_columns

CHUNK_LOANS = 65_536


def _statement_map(source: str) -> dict[int, tuple[int, str]]:
    """Line -> (first line, function name) of the innermost statement holding it."""
    out: dict[int, tuple[int, str]] = {}

    def visit(node: ast.AST, func: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, ast.FunctionDef) else func
            if isinstance(child, ast.stmt):
                body_start = min((s.lineno for f in ("body", "orelse", "handlers",
                                                     "finalbody")
                                  for s in getattr(child, f, []) or []),
                                 default=(child.end_lineno or child.lineno) + 1)
                for line in range(child.lineno, min(child.end_lineno or child.lineno,
                                                    body_start - 1) + 1):
                    out[line] = (child.lineno, name)
            visit(child, name)

    visit(ast.parse(source), "<module>")
    return out


def _sections(source: str) -> dict[int, str]:
    """First line of each ``cob_day`` statement -> the step comment it sits under."""
    tree = ast.parse(source)
    fn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
              and n.name == "cob_day")
    lines = source.splitlines()
    out: dict[int, str] = {}
    label = "setup: active loans"
    for ln in range(fn.lineno, (fn.end_lineno or fn.lineno) + 1):
        text = lines[ln - 1]
        if text.startswith("    # "):
            label = text.strip()[2:]
        out[ln] = label
    for node in ast.walk(fn):
        if isinstance(node, ast.Return):
            out[node.lineno] = "result: postings and events (_postings, _events)"
    return out


class _StatementTracer:
    """Times each statement of the kernel's source file and counts its page faults."""

    def __init__(self, where: dict[int, tuple[int, str]], filename: str) -> None:
        self.where = where
        self.filename = filename
        self.spent: dict[tuple[int, str], float] = defaultdict(float)
        self.faults: dict[tuple[int, str], int] = defaultdict(int)
        self._open: dict[int, tuple[tuple[int, str], float, int]] = {}

    def local(self, frame: FrameType, event: str, _arg: Any) -> Any:
        now = time.perf_counter()
        flt = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        key = id(frame)
        if key in self._open:
            stmt, t0, f0 = self._open[key]
            self.spent[stmt] += now - t0
            self.faults[stmt] += flt - f0
        if event == "return":
            self._open.pop(key, None)
        else:
            stmt = self.where.get(frame.f_lineno, (frame.f_lineno, "?"))
            self._open[key] = (stmt, time.perf_counter(),
                               resource.getrusage(resource.RUSAGE_SELF).ru_minflt)
        return self.local

    def global_trace(self, frame: FrameType, event: str, _arg: Any) -> Any:
        return self.local if frame.f_code.co_filename == self.filename else None


def _traced_runs(batch: LoanBatch, day: int, tracer: _StatementTracer, reps: int,
                 ) -> tuple[dict[tuple[int, str], float], dict[tuple[int, str], int]]:
    """Each statement's best time over ``reps`` traced runs, and its page faults summed."""
    kernel.cob_day(batch, day)  # warm-up, untraced
    best: dict[tuple[int, str], float] = {}
    total_faults: dict[tuple[int, str], int] = defaultdict(int)
    for _ in range(reps):
        tracer.spent.clear()
        tracer.faults.clear()
        gc.collect()
        previous = sys.gettrace()  # a coverage tool or debugger gets its hook back
        sys.settrace(tracer.global_trace)
        try:
            kernel.cob_day(batch, day)
        finally:
            sys.settrace(previous)
        for stmt, sec in tracer.spent.items():
            best[stmt] = min(sec, best.get(stmt, sec))
            total_faults[stmt] += tracer.faults[stmt]
    return best, total_faults


def _sections_ms(source: str, best: dict[tuple[int, str], float],
                 top_level: float) -> list[dict[str, Any]]:
    """``cob_day``'s time by its commented sections, largest first."""
    section_of = _sections(source)
    sections: dict[str, float] = defaultdict(float)
    for (ln, func), sec in best.items():
        if func == "cob_day":
            sections[section_of.get(ln, "?")] += sec
    return [{"section": k, "ms": round(v * 1e3, 1), "pct": round(100 * v / top_level, 1)}
            for k, v in sorted(sections.items(), key=lambda kv: -kv[1])]


def profile_day(batch: LoanBatch, day: int, *, reps: int = 5) -> dict[str, Any]:
    """Run ``cob_day`` ``reps`` times under the tracer. Each statement's time is its
    best over the runs (page-fault stalls land on different statements each run);
    page faults are the mean per run."""
    source = Path(kernel.__file__).read_text(encoding="utf-8")
    lines = source.splitlines()
    tracer = _StatementTracer(_statement_map(source), kernel.cob_day.__code__.co_filename)
    best, total_faults = _traced_runs(batch, day, tracer, reps)
    top_level = sum(sec for (_, func), sec in best.items() if func == "cob_day")
    rows = [{"line": ln, "function": func, "ms": round(sec * 1e3, 2),
             "pct_of_cob_day": round(100 * sec / top_level, 1) if func == "cob_day" else None,
             "page_faults": total_faults[(ln, func)] // reps,
             "code": lines[ln - 1].strip()[:88]}
            for (ln, func), sec in sorted(best.items(), key=lambda kv: -kv[1])]
    return {"cob_day_best_statements_ms": round(top_level * 1e3, 1),
            "page_faults_per_day": sum(total_faults.values()) // reps,
            "sections": _sections_ms(source, best, top_level),
            "chunked_ms": round(chunked_day(batch, day, reps=reps) * 1e3, 1),
            "chunk_loans": CHUNK_LOANS, "statements": rows}


def _part(batch: LoanBatch, a: int, z: int) -> LoanBatch:
    lo, hi = int(batch.offsets[a]), int(batch.offsets[z])
    cols: dict[str, Any] = {n: getattr(batch, n)[a:z] for n in LOAN_COLUMNS}
    cols.update({n: getattr(batch, n)[lo:hi] for n in INST_COLUMNS})
    cols["offsets"] = batch.offsets[a:z + 1] - lo
    return from_columns(cols)


def chunked_day(batch: LoanBatch, day: int, *, reps: int = 3) -> float:
    """Best time of the same kernel called on slices of ``CHUNK_LOANS`` loans (views,
    results not stitched back together): what a cache-sized working set would cost."""
    parts = [_part(batch, a, min(a + CHUNK_LOANS, len(batch)))
             for a in range(0, len(batch), CHUNK_LOANS)]
    best = float("inf")
    for _ in range(reps + 1):
        gc.collect()
        t0 = time.perf_counter()
        for part in parts:
            kernel.cob_day(part, day)
        best = min(best, time.perf_counter() - t0)
    return best
