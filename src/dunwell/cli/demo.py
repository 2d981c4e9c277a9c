"""``dunwell demo``: a sample book on the embedded default, 90 days of COB; or, with
``--lab``, the strategy lab's humane, aggressive and ml runs side by side, their report,
and the humane run's book served."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dunwell.cli.book import balances_table, portfolio_table
from dunwell.cli.common import clear_errors, console
from dunwell.cli.training import gate_day_table
from dunwell.core.dates import parse_date

if TYPE_CHECKING:
    from dunwell.app.collections.collect import Experiment
    from dunwell.app.day.loop import ScoringModel
    from dunwell.bootstrap import Dunwell
    from dunwell.simulation.operations import OperationsReport

DEMO_DB = Path("var") / "demo.sqlite"
#: Where the demo's merchants' records files are written before they are imported.
DEMO_RECORDS = Path("var") / "demo-records"
#: OR-Tools' time limit for each day's visit routes in the demo.
ROUTING_SECONDS = 2
#: ``--lab``: where the runs' books, the report and its JSON twin are written.
LAB_DIR = Path("var") / "lab"
LAB_REPORT = Path("var") / "lab.html"
LAB_JSON = Path("var") / "lab.json"
LAB_STRATEGIES = "humane,aggressive,ml"
#: ``--lab``: runs closed at a time (worker processes; one per core here).
LAB_JOBS = 2


def decisions_table(app: Dunwell) -> Table:
    """Every contact the strategy proposed over the run, by what the guard decided."""
    from dunwell.simulation.operations import decision_totals
    totals = decision_totals(app)
    table = Table(title="collection steps proposed, by the guard's decision")
    for col in ("step", "decision", "rule", "count"):
        table.add_column(col, justify="right" if col == "count" else "left")
    for kind, decision, rule, count in totals:
        table.add_row(kind, decision, rule or "", str(count))
    return table


def operations_table(app: Dunwell, ops: OperationsReport) -> Table:
    """What the outbox, the letter register, the field agents and negotiation did."""
    from dunwell.app.letters.service import list_letters
    from dunwell.app.negotiation.service import plans
    letters = Counter((x.kind, x.status.value) for x in list_letters(app, limit=100_000))
    table = Table(title="channels, letters, field visits and plans over the run")
    table.add_column("what")
    table.add_column("detail")
    table.add_column("count", justify="right")
    for outcome, n in sorted(ops.messages.items()):
        table.add_row("messages", outcome, str(n))
    for (kind, status), n in sorted(letters.items()):
        table.add_row("letters", f"{kind}, {status}", str(n))
    table.add_row("field visits", f"planned on {ops.visit_days} days", str(ops.visits_planned))
    table.add_row("field visits", "not planned (reason recorded)", str(ops.visits_unplanned))
    for outcome, n in sorted(ops.outcomes.items()):
        table.add_row("visit outcomes", outcome, str(n))
    by_status = Counter(p.status.value for p in plans(app))
    for status, n in sorted(by_status.items()):
        table.add_row("repayment plans", status, str(n))
    if ops.no_affordable_offer:
        table.add_row("repayment plans", "no affordable offer: referred to free debt advice",
                      str(ops.no_affordable_offer))
    return table


EW_DIR = Path("var") / "models" / "early_warning"
EW_TRAINING_LOANS = 300
EW_TRAINING_DAYS = 120


def _early_warning(first: dt.date, seed: int) -> ScoringModel:
    """Train the early-warning model on its own simulated book (another seed) and
    register it where the day loop finds it (``early_warning_model_dir``)."""
    from dunwell.app.day.loop import ScoringModel
    from dunwell.app.risk import load_model, read_report, train_from_csv
    from dunwell.simulation.early_warning import build_training_csv
    from dunwell.simulation.portfolio import run_days, seed_book
    train_seed = seed + 1_000
    csv_path = EW_DIR.parent / "early_warning_training.csv"
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with Progress(TextColumn("simulating a training book {task.fields[day]}"), BarColumn(),
                  MofNCompleteColumn(), TextColumn("days"), TimeElapsedColumn(),
                  console=console) as bar:
        task = bar.add_task("train", total=EW_TRAINING_DAYS, day="")

        def simulate(book: Dunwell, s: int, on_day: Callable[[dt.date], None]) -> None:
            def both(day: dt.date) -> None:
                on_day(day)
                bar.update(task, advance=1, day=day.isoformat())

            seed_book(book, loans=EW_TRAINING_LOANS, start=first, seed=s)
            run_days(book, days=EW_TRAINING_DAYS, seed=s, on_day=both)

        rows = build_training_csv(csv_path, loans=EW_TRAINING_LOANS, days=EW_TRAINING_DAYS,
                                  seed=train_seed, run=simulate)
    version = train_from_csv(csv_path, EW_DIR, seed=train_seed, now=dt.datetime.now(dt.UTC))
    model = load_model(EW_DIR, version)
    report = read_report(EW_DIR, version)
    auc = report.get("metrics", {}).get("auc")
    console.print(f"early-warning model {version} trained on {rows} snapshots of current "
                  f"loans" + (f", test AUC {auc:.3f}" if isinstance(auc, float) else ""))
    return ScoringModel(model, f"early_warning@{version}")


def demo(
    loans: Annotated[int, typer.Option(min=1, max=100_000, help="Loans to book.")] = 400,
    days: Annotated[int, typer.Option(min=1, max=3660, help="Business days to close.")] = 90,
    seed: Annotated[int, typer.Option(help="Seed for the borrowers' behaviour.")] = 42,
    start: Annotated[str, typer.Option(help="First business date.")] = "2025-01-31",
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: a fresh "
                                           f"SQLite file {DEMO_DB}).")] = None,
    challenger: Annotated[str | None, typer.Option(
        help="Challenger strategy for a share of new cases, e.g. aggressive.")] = None,
    share: Annotated[int, typer.Option(min=0, max=100,
                                       help="Percent of new cases on the challenger.")] = 0,
    early_warning: Annotated[bool, typer.Option(
        help="Train an early-warning model on a separate simulated book first, and "
             "score the book after every close.")] = True,
    serve: Annotated[bool, typer.Option(
        help="Then serve the app on 127.0.0.1 (the API, the letter check and the "
             "borrower's hardship page) until Ctrl-C.")] = False,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port for --serve.")] = 8000,
    lab: Annotated[bool, typer.Option(
        help="Run the strategy lab instead: humane, aggressive and ml on the same "
             f"--borrowers for --days, the report in {LAB_REPORT} and {LAB_JSON}; "
             "--serve then serves the humane run's book.")] = False,
    borrowers: Annotated[int, typer.Option(
        min=2, max=200_000, help="--lab: synthetic borrowers who apply.")] = 200,
    strategies: Annotated[str, typer.Option(
        help="--lab: the strategies, comma-separated.")] = LAB_STRATEGIES,
) -> None:
    """Book sample loans and run COB day by day, or compare strategies (--lab).

    Without --lab: sample loans across all four repayment methods, closed day by day
    through the day loop. With --lab: the collection strategies compared on the same
    simulated borrowers in the strategy lab."""
    if lab:
        with clear_errors():
            _lab_demo(borrowers=borrowers, days=days, seed=seed, start=start,
                      strategies=strategies, serve=serve, port=port)
        return
    from dunwell.app.collections.collect import Experiment
    from dunwell.bootstrap import bootstrap
    from dunwell.settings import Settings
    from dunwell.simulation.complaints import seed_demo_complaints
    from dunwell.simulation.merchants import seed_merchants
    from dunwell.simulation.portfolio import seed_book
    from dunwell.simulation.training import seed_demo_staff
    with clear_errors():
        db = db or _fresh_demo_db()
        # a development book: fixed development secrets and keys stand in for unset ones
        # served over plain HTTP on 127.0.0.1 only: session cookies cannot be HTTPS-only
        app = bootstrap(Settings(db_url=db, log_level="WARNING", dev_mode=True,
                                 cookie_secure=False))
        first = parse_date(start, field="--start")
        model = _early_warning(first, seed) if early_warning else None
        seed_book(app, loans=loans, start=first, seed=seed)
        seed_merchants(app, start=first, seed=seed, records_dir=DEMO_RECORDS)
        mixed = seed_demo_staff(app, start=first, days=days)
        ops = _run_days(app, first=first, days=days, seed=seed, model=model,
                        experiment=Experiment(challenger=challenger, share_pct=share,
                                              seed=seed))
        seed_demo_complaints(app, now=dt.datetime.now(dt.UTC))
    _summary(app, ops, db=db, last_day=ops.last_plan_date or first + dt.timedelta(days=days - 1),
             staff=[p.staff_id for p in mixed] + ["f-01"])
    if not serve:
        print_sign_ins(app)
        return
    calls, visits = _morning(app, ops.last_plan_date)
    print_sign_ins(app, field_agent=_busiest_agent(app, visits))
    _serve(app, port, db, calls=calls, visits=visits)


def _lab_demo(*, borrowers: int, days: int, seed: int, start: str, strategies: str,
              serve: bool, port: int) -> None:
    """The strategy lab's runs (fresh books under ``var/lab``), the report, then the
    humane run's book with the demo's sign-ins, served when asked."""
    from dunwell.bootstrap import bootstrap
    from dunwell.cli.simulate import run_simulation, write_outputs
    from dunwell.settings import Settings
    from dunwell.simulation.lab.book import run_url
    LAB_DIR.mkdir(parents=True, exist_ok=True)
    for old in LAB_DIR.glob("lab-*"):
        old.unlink()
    base = f"sqlite:///{LAB_DIR / 'lab.sqlite'}"
    runs = len([name for name in strategies.split(",") if name.strip()])
    doc = run_simulation(borrowers=borrowers, days=days, seed=seed, seeds=1,
                         strategies=strategies, start=start, db=base, sensitivity=False,
                         jobs=min(LAB_JOBS, runs))
    write_outputs(doc, report=LAB_REPORT, json_path=LAB_JSON)
    served = "humane" if "humane" in doc["strategies"] else next(iter(doc["strategies"]))
    db = run_url(base, LAB_DIR, served, seed)
    app = bootstrap(Settings(db_url=db, log_level="WARNING", dev_mode=True,
                             cookie_secure=False))
    report = LAB_REPORT.resolve()
    console.print(f"the strategy lab's report: {report} (the result document: "
                  f"{LAB_JSON.resolve()})", highlight=False)
    if not serve:
        print_sign_ins(app)
        console.print(f"the {served} run's book: {db}; serve it with `dunwell demo --lab "
                      "--serve` or `dunwell serve --db ...`", highlight=False)
        return
    calls, visits = _morning(app, _last_visit_day(app))
    print_sign_ins(app, field_agent=_busiest_agent(app, visits))
    _serve(app, port, db, calls=calls, visits=visits, report=report)


def _last_visit_day(app: Dunwell) -> dt.date | None:
    """The latest date a visit was planned for (None when there was none)."""
    from dunwell.app.lab_read import lab_reader
    with lab_reader(app.engine) as repo:
        days = [on for _b, on, _s, _o in repo.visits()]
    return max(days) if days else None


def _fresh_demo_db() -> str:
    """The default demo book: a new SQLite file (the last run's is removed)."""
    DEMO_DB.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DEMO_DB}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{DEMO_DB}"


def _run_days(app: Dunwell, *, first: dt.date, days: int, seed: int,
              model: ScoringModel | None, experiment: Experiment) -> OperationsReport:
    """The sample book's days through the day loop, with a progress bar; the agents
    work the routed visits each day. Returns what the outbox, visits and plans did."""
    from dunwell.bootstrap import router_for
    from dunwell.simulation.operations import OperationsReport, count_day_steps, work_visits
    from dunwell.simulation.portfolio import run_days
    ops = OperationsReport()
    ops_rng = random.Random(seed + 2)
    with Progress(TextColumn("closing {task.fields[day]}"), BarColumn(),
                  MofNCompleteColumn(), TextColumn("days"), TimeElapsedColumn(),
                  console=console) as bar:
        task = bar.add_task("days", total=days, day=str(first))

        def tick(day: dt.date) -> None:
            bar.update(task, advance=1, day=day.isoformat())

        def visits(day: dt.date) -> None:
            work_visits(app, day, ops_rng, report=ops)

        run_days(app, days=days, seed=seed, on_day=tick, model=model,
                 router=router_for("vroom", time_limit_s=ROUTING_SECONDS),
                 dispatch=True, during_day=visits, experiment=experiment)
    count_day_steps(app, days, ops)
    return ops


def _summary(app: Dunwell, ops: OperationsReport, *, db: str, last_day: dt.date,
             staff: list[str]) -> None:
    """The book, the ledger, the guard's decisions, the operations and the training
    gate on the last day, and where to look next."""
    console.print(portfolio_table(app))
    console.print(balances_table(app))
    console.print(decisions_table(app))
    console.print(operations_table(app, ops))
    console.print(gate_day_table(app, last_day, staff))
    if ops.last_plan_date is not None:
        console.print(f"the last field plan: `dunwell field plan --date {ops.last_plan_date} "
                      f"--db {db}`; letters: `dunwell letters list --db {db}`")
    console.print(f"book kept in {db}; try `dunwell portfolio --db {db}` or "
                  f"`dunwell loan 1 --db {db}`")


def _busiest_agent(app: Dunwell, day: dt.date | None) -> str:
    """The field agent with the most visits on ``day``, so the demo's field agent has
    a round to show (f-01 when nobody has one)."""
    if day is None:
        return "f-01"
    with app.uow() as uow:
        counts = Counter(v.agent_id for v in uow.field.visits_on(day) if v.agent_id)
    return counts.most_common(1)[0][0] if counts else "f-01"


def print_sign_ins(app: Dunwell, *, field_agent: str = "f-01") -> None:
    """One demo user per role, with a password and an API token each (shown once);
    the borrower is the one with the most overdue open case. Tokens go on lines of
    their own so a terminal copies them whole."""
    from dunwell.app.collections.views import case_list
    from dunwell.simulation.access import seed_demo_sign_ins
    cases = case_list(app, status="open", limit=1)
    borrower_id = cases[0].borrower_id if cases else 1
    sign_ins = seed_demo_sign_ins(app, borrower_id=borrower_id, field_agent=field_agent)
    table = Table(title="demo sign-ins (staff: name and password; the borrower: a one-time "
                  "code at /portal/sign-in)")
    for col in ("role", "user", "password", "works as"):
        table.add_column(col, overflow="fold")
    for s in sign_ins:
        table.add_row(s.role.value, s.user, s.password or "one-time code by SMS", s.linked)
    console.print(table)
    console.print("API tokens (send `Authorization: Bearer TOKEN`):")
    for s in sign_ins:
        console.print(f"  {s.role.value:<18} {s.token}", soft_wrap=True)


#: How far back the demo looks for the latest day with calls to show.
BUSY_DAYS_BACK = 30


def _morning(app: Dunwell, last_plan: dt.date | None) -> tuple[dt.date | None, dt.date | None]:
    """The open date's morning, as on any working day before staff arrive: the
    collection run fills the call queues and the field plan routes the visits. The
    humane ladder calls on some days only, so also the latest day with calls and with
    visits, for the pages to open on (``/work?day=``, ``/field?day=``)."""
    from dunwell.app.collections.collect import collect_day
    from dunwell.app.collections.views import call_queue
    from dunwell.app.day.clock import BookClock, DayStep
    from dunwell.app.day.loop import open_date
    from dunwell.app.field.plan import plan_visits
    from dunwell.bootstrap import router_for
    today = open_date(app)
    clock = BookClock()
    collect_day(app, today, now=clock.at(today, DayStep.COLLECT))
    planned = plan_visits(app, plan_date=today, now=clock.at(today, DayStep.FIELD_PLAN),
                          router=router_for("vroom", time_limit_s=ROUTING_SECONDS))
    console.print(f"the morning of {today} is planned: today's call queues and field visits")
    calls = next((d for d in (today - dt.timedelta(days=k) for k in range(BUSY_DAYS_BACK))
                  if call_queue(app, business_date=d).rows), None)
    return calls, today if planned.planned else last_plan


def _serve(app: Dunwell, port: int, db: str, *, calls: dt.date | None = None,
           visits: dt.date | None = None, report: Path | None = None) -> None:
    """Serve the demo book: the web app for every role, the borrower's portal and the
    API, with the sign-ins printed above and a letter to try."""
    import uvicorn

    from dunwell.api.app import create_app
    from dunwell.app.letters.service import list_letters

    letters = list_letters(app, limit=1)
    base = f"http://127.0.0.1:{port}"
    table = Table(title=f"serving {db} on {base} (Ctrl-C stops)")
    table.add_column("who")
    table.add_column("where", no_wrap=True)
    for who, where in (("staff: sign in with a demo user above", f"{base}/sign-in"),
                       ("the collector's workbench", f"{base}/work"
                        + (f"?day={calls}" if calls else "")),
                       ("the field agent's day", f"{base}/field"
                        + (f"?day={visits}" if visits else "")),
                       ("the manager's dashboard", f"{base}/dashboard"),
                       ("the compliance officer's complaints", f"{base}/complaints"),
                       ("borrowers: a code texted to the phone on file",
                        f"{base}/portal/sign-in"),
                       ("the borrower's hardship page", f"{base}/portal/hardship"),
                       ("the API and its documentation", f"{base}/docs")):
        table.add_row(who, where)
    if report is not None:
        table.add_row("the strategy lab's report (a file)", report.as_uri())
    console.print(table)
    if letters:
        code = letters[0].verification_code
        console.print(f"a letter to check: {base}/letters/verify/{code}")
    console.print(f"the borrower's one-time codes arrive as text messages written under "
                  f"{app.settings.outbox_dir}/ by the local SMS provider")
    uvicorn.run(create_app(dunwell=app), host="127.0.0.1", port=port, log_level="warning")
