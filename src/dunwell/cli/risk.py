"""``dunwell risk``: train, score, report, monitor and evaluate credit models.

``dunwell risk train --csv PATH --target COLUMN --out DIR`` and ``dunwell risk score
--model DIR --csv PATH --out PATH`` are the contract of DESIGN.md §4. The model
library (and so pandas, OptBinning, LightGBM) is imported when a command runs, so
the other ``dunwell`` commands start as fast as before.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dunwell.core.errors import DomainError, InvalidInput

if TYPE_CHECKING:
    from dunwell.risk.model import TrainOptions
    from dunwell.risk.search import Searched

EXIT_BAD_INPUT = 2
DEFAULT_SEED = 20090101

risk_app = typer.Typer(name="risk", no_args_is_help=True, add_completion=False,
                       pretty_exceptions_show_locals=False,
                       help="Credit risk models: train, score, report, monitor, evaluate.")
console = Console()

CsvOption = Annotated[Path, typer.Option("--csv", metavar="PATH", help="A CSV with a header.")]
ModelOption = Annotated[Path, typer.Option("--model", metavar="DIR",
                                           help="A model directory written by `risk train`.")]
VersionOption = Annotated[str | None, typer.Option(
    "--version", metavar="vN", help="A version in the model directory (default: latest).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
FamilyOption = Annotated[str, typer.Option(
    "--family", help="scorecard, gbm, or auto: both, keeping the better validation AUC.")]
MonotoneOption = Annotated[str, typer.Option(
    "--monotone", metavar="COL=+1,COL=-1",
    help="Declared directions: +1 risk rises with the column, -1 it falls.")]
CategoricalOption = Annotated[str, typer.Option(
    "--categorical", metavar="COL,COL", help="Columns to treat as categories.")]
DropOption = Annotated[str, typer.Option("--drop", metavar="COL,COL",
                                         help="Columns never to use.")]
ProtectedOption = Annotated[bool, typer.Option(
    "--keep-protected", help="Keep columns named like sex, gender, marriage, race, religion.")]
CalibrationOption = Annotated[str, typer.Option("--calibration", help="platt or isotonic.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed for the split and the models.")]
RoundsOption = Annotated[int, typer.Option("--max-rounds", help="Boosting rounds at most.")]
ThreadsOption = Annotated[int, typer.Option("--threads", min=1, max=64,
                                            help="LightGBM threads (default 1: on a busy machine "
                                                 "OpenMP threads wait on each other).")]


@contextmanager
def _clear_errors() -> Iterator[None]:
    try:
        yield
    except DomainError as exc:
        typer.echo(f"error: {exc.message} [{exc.code}]", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}",
                           code="risk_csv_must_be_readable") from None


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


def parse_monotone(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in _names(text):
        name, sep, sign = item.rpartition("=")
        value = {"+1": 1, "1": 1, "+": 1, "-1": -1, "-": -1}.get(sign.strip())
        if not sep or not name.strip() or value is None:
            raise InvalidInput(f"--monotone {item!r} must look like COLUMN=+1 or COLUMN=-1",
                               code="risk_monotone_must_be_valid")
        out[name.strip()] = value
    return out


def _options(family: str, monotone: str, categorical: str, drop: str, keep_protected: bool,
             calibration: str, max_rounds: int, threads: int) -> TrainOptions:
    from dunwell.risk.model import TrainOptions
    from dunwell.risk.training import check_options

    options = TrainOptions(family=family.strip().lower(), monotone=parse_monotone(monotone),
                           categorical=_names(categorical), drop=_names(drop),
                           keep_protected=keep_protected,
                           calibration=calibration.strip().lower(), max_rounds=max_rounds,
                           threads=threads)
    check_options(options)
    return options


BudgetOption = Annotated[float, typer.Option(
    "--budget", metavar="SECONDS",
    help="Time for the cross-validated search of settings; the first candidate always runs.")]
FoldsOption = Annotated[int, typer.Option("--folds", help="Number of folds.")]
RobustOption = Annotated[bool, typer.Option(
    "--robust/--no-robust",
    help="Treat sentinel codes and extreme values (fitted on training rows).")]


@risk_app.command("train")
def train(csv: CsvOption, target: Annotated[str, typer.Option(
              "--target", metavar="COLUMN", help="The outcome: 1 (bad) or 0 (good).")],
          out: Annotated[Path, typer.Option("--out", metavar="DIR",
                                            help="Model directory; a new version is added.")],
          family: FamilyOption = "auto", monotone: MonotoneOption = "",
          categorical: CategoricalOption = "", drop: DropOption = "",
          keep_protected: ProtectedOption = False, calibration: CalibrationOption = "platt",
          seed: SeedOption = DEFAULT_SEED, max_rounds: RoundsOption = 2000,
          threads: ThreadsOption = 1, budget: BudgetOption = 60.0, folds: FoldsOption = 5,
          robust: RobustOption = True) -> None:
    """Train a calibrated credit model on a CSV, its settings chosen by cross-validation
    within --budget seconds, and add it to a model directory."""
    import numpy as np

    with _clear_errors():
        from dunwell.app.risk import save_model
        from dunwell.risk.evaluate import load_libraries
        from dunwell.risk.search import SearchOptions, check_search, search_train
        from dunwell.risk.tabular import fingerprint, read_frame

        options = replace(_options(family, monotone, categorical, drop, keep_protected,
                                   calibration, max_rounds, threads), robust=robust)
        search = SearchOptions(folds=folds, budget_seconds=budget)
        check_search(search)
        data = _read(csv)
        frame = read_frame(data, text_columns=options.categorical)
        load_libraries()
        with _search_progress() as progress:
            searched = search_train(frame, target=target, options=options, search=search,
                                    data_sha256=fingerprint(data),
                                    rng=np.random.default_rng(seed), clock=time.perf_counter,
                                    progress=progress)
        trained = searched.trained
        created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        try:
            version = save_model(trained, out, created_at=created,
                                 provenance={"csv": csv.name, "seed": seed})
        except OSError as exc:
            raise InvalidInput(f"cannot write the model to {out}: {exc.strerror or exc}",
                               code="risk_output_must_be_writable") from None
    _print_search(searched)
    m = trained.report["metrics"]
    cv = trained.report["cross_validation"]
    console.print(f"trained {out}/{version}: {searched.chosen} ({trained.model.family.value}), "
                  f"CV AUC {cv['auc_mean']:.4f} ± {cv['auc_sd']:.4f} over {cv['folds']} "
                  f"folds; test AUC {m['auc']:.4f}, KS {m['ks']:.4f}, "
                  f"mean predicted {m['mean_predicted']:.4f} vs {m['base_rate']:.4f} observed; "
                  f"report {out / version / 'report.html'}", highlight=False)


@contextmanager
def _search_progress() -> Iterator[Callable[[str, int, int], None]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task("cross-validating", total=None)

        def advance(name: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"cross-validating {name}")

        yield advance


def _print_search(searched: Searched) -> None:
    table = Table(title="Settings tried (stratified k-fold cross-validation on the training "
                        "rows)")
    for name in ("candidate", "family", "CV AUC", "PR-AUC", "KS", "Brier", "seconds",
                 "chosen"):
        table.add_column(name, justify="left" if name in {"candidate", "family"} else "right",
                         no_wrap=True)
    for t in searched.tried:
        doc = t.to_json()
        table.add_row(t.candidate.name, t.candidate.family.value,
                      f"{t.auc_mean:.4f} ± {t.auc_sd:.4f}", f"{doc['pr_auc_mean']:.4f}",
                      f"{doc['ks_mean']:.4f}", f"{doc['brier_mean']:.4f}", f"{t.seconds:.1f}",
                      "[bold green]yes[/]" if t.candidate.name == searched.chosen else "")
    console.print(table)
    chosen = next(t for t in searched.tried if t.candidate.name == searched.chosen)
    folds = ", ".join(f"{a:.4f}" for a in chosen.fold_auc)
    console.print(f"{searched.chosen}: AUC per fold {folds}", highlight=False)
    if searched.not_tried:
        console.print(f"not tried within the budget: {', '.join(searched.not_tried)}",
                      highlight=False)
    prep = searched.trained.report["preprocessing"]
    if prep.get("enabled"):
        for s in prep["sentinels"]:
            console.print(f"sentinel codes {', '.join(map(str, s['codes']))} in {s['column']} "
                          f"({s['rows']} training rows) read as missing", highlight=False)
        for c in prep["clipped"]:
            console.print(f"{c['column']} clipped to [{c['low']}, {c['high']}] "
                          f"({c['rows_low'] + c['rows_high']} training rows)", highlight=False)


@risk_app.command("bureau-sample")
def bureau_sample(out: Annotated[Path, typer.Option("--out", metavar="PATH",
                                                    help="Where to write the CSV.")],
                  rows: Annotated[int, typer.Option("--rows", min=50, max=1_000_000)] = 20_000,
                  seed: SeedOption = 7) -> None:
    """Write synthetic bureau-style data (sentinel codes, extreme ratios, missing
    incomes, about 6.6 % positives; target serious_delinquency_2y)."""
    with _clear_errors():
        from dunwell.simulation.bureau import bureau_csv

        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(bureau_csv(rows, seed), encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot write {out}: {exc.strerror or exc}",
                               code="risk_output_must_be_writable") from None
    typer.echo(f"wrote {rows} synthetic rows to {out}")


@risk_app.command("score")
def score(model: ModelOption, csv: CsvOption,
          out: Annotated[Path, typer.Option("--out", metavar="PATH",
                                            help="Where to write the rows with `score`.")],
          version: VersionOption = None) -> None:
    """Write the CSV's rows with a `score` column: probability of the bad outcome."""
    with _clear_errors():
        from dunwell.app.risk import load_model
        from dunwell.risk.tabular import read_frame, with_scores

        credit = load_model(model, version)
        data = _read(csv)
        text_cols = [f.name for f in credit.schema.features if f.kind.value == "categorical"]
        frame = read_frame(data, text_columns=[c for c in text_cols if c != credit.schema.target])
        scores = credit.score_frame(frame)
        text = with_scores(data, [float(s) for s in scores])
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot write {out}: {exc.strerror or exc}",
                               code="risk_output_must_be_writable") from None
    typer.echo(f"scored {len(scores)} rows with {credit.version} ({credit.family.value}); "
               f"wrote {out}")


def _table(title: str, rows: list[dict[str, Any]], columns: list[str]) -> Table:
    table = Table(title=title)
    for c in columns:
        table.add_column(c.replace("_", " "), justify="left" if c in {"feature", "family",
                                                                       "name", "status"}
                         else "right")
    for r in rows:
        table.add_row(*(str(r.get(c, "")) for c in columns))
    return table


@risk_app.command("report")
def report(model: ModelOption, version: VersionOption = None, as_json: JsonOption = False) -> None:
    """Reprint a model's validation report (the HTML is beside it as report.html)."""
    with _clear_errors():
        from dunwell.app.risk import read_report, resolve_model

        doc = read_report(model, version)
        where = resolve_model(model, version)
    if as_json:
        typer.echo(json.dumps(doc, ensure_ascii=False, indent=1))
        return
    m = doc["metrics"]
    console.print(f"[bold]{doc.get('version')}[/bold] {doc['family']} on {doc['rows']} rows, "
                  f"target {doc['target']}; measured on {m['rows']} {doc['held_out']} rows; "
                  f"calibration {doc['calibration']['method']}; {where / 'report.html'}")
    console.print(_table("Held-out metrics", [m], ["auc", "ks", "gini", "brier", "base_rate",
                                                   "mean_predicted", "rows"]))
    console.print(_table("Validation AUC by family",
                         [{"family": f, "auc": a, "chosen": "yes" if f == doc["family"] else ""}
                          for f, a in doc["validation_auc"].items()],
                         ["family", "auc", "chosen"]))
    console.print(_table("Lift and gain by decile", doc["lift"],
                         ["decile", "rows", "bads", "bad_rate", "lift", "cumulative_gain",
                          "min_score", "max_score"]))
    console.print(_table("Calibration", doc["calibration"]["curve"],
                         ["mean_predicted", "observed", "rows"]))
    console.print(_table("Feature importance (top 10)", doc["importance"][:10],
                         ["feature", "share"]))


@risk_app.command("monitor")
def monitor(model: ModelOption, csv: CsvOption, version: VersionOption = None,
            as_json: JsonOption = False) -> None:
    """Population stability (PSI) of the score and of each feature against training."""
    with _clear_errors():
        from dunwell.app.risk import load_model
        from dunwell.risk.tabular import read_frame

        credit = load_model(model, version)
        text_cols = [f.name for f in credit.schema.features if f.kind.value == "categorical"]
        drifts = credit.monitor_frame(read_frame(_read(csv), text_columns=text_cols))
    if as_json:
        typer.echo(json.dumps([asdict(d) for d in drifts]))
        return
    table = Table(title=f"Population stability: {csv.name} against the training data of "
                        f"{credit.version}")
    table.add_column("name")
    table.add_column("PSI", justify="right")
    table.add_column("status")
    table.add_column("training mean", justify="right")
    table.add_column("batch mean", justify="right")
    style = {"stable": "green", "moderate shift": "yellow", "major shift": "bold red"}
    for d in drifts:
        table.add_row(d.name, f"{d.psi:.4f}", f"[{style[d.status]}]{d.status}[/]",
                      "" if d.expected_mean is None else f"{d.expected_mean:.4g}",
                      "" if d.actual_mean is None else f"{d.actual_mean:.4g}",
                      end_section=d.name == "score")
    console.print(table)
    console.print("PSI below 0.1: stable; 0.1 to 0.25: moderate shift; above 0.25: major shift")


@risk_app.command("evaluate")
def evaluate(csv: CsvOption, target: Annotated[str, typer.Option(
                 "--target", metavar="COLUMN", help="The outcome: 1 (bad) or 0 (good).")],
             folds: FoldsOption = 5,
             family: FamilyOption = "auto", monotone: MonotoneOption = "",
             categorical: CategoricalOption = "", drop: DropOption = "",
             keep_protected: ProtectedOption = False, calibration: CalibrationOption = "platt",
             seed: SeedOption = DEFAULT_SEED, max_rounds: RoundsOption = 2000,
             threads: ThreadsOption = 1, as_json: JsonOption = False) -> None:
    """K-fold cross-validation of `risk train` on a CSV: AUC, KS and time per fold."""
    import numpy as np
    with _clear_errors():
        from dunwell.risk.evaluate import cross_validate, summarise
        from dunwell.risk.tabular import read_frame

        options = _options(family, monotone, categorical, drop, keep_protected, calibration,
                           max_rounds, threads)
        frame = read_frame(_read(csv), text_columns=options.categorical)
        results = cross_validate(frame, target=target, folds=folds, options=options,
                                 rng=np.random.default_rng(seed), clock=time.perf_counter)
        total = summarise(results)
    if as_json:
        typer.echo(json.dumps({"folds": [asdict(r) for r in results], "summary": total}))
        return
    rows = [{"fold": r.fold, "family": r.family, "auc": f"{r.auc:.4f}", "ks": f"{r.ks:.4f}",
             "predicted": f"{r.mean_predicted:.4f}", "observed": f"{r.base_rate:.4f}",
             "rows": r.test_rows, "seconds": f"{r.seconds:.1f}"} for r in results]
    console.print(_table(f"{folds}-fold evaluation of {csv.name} (target {target})", rows,
                         ["fold", "family", "auc", "ks", "predicted", "observed", "rows",
                          "seconds"]))
    console.print(f"AUC {total['auc_mean']:.4f} ± {total['auc_std']:.4f}, KS "
                  f"{total['ks_mean']:.4f} ± {total['ks_std']:.4f}; "
                  f"{total['seconds_per_fold']:.1f} s per fold, {total['seconds_total']:.1f} s "
                  "in all", highlight=False)
