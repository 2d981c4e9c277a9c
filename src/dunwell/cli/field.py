"""Field commands: ``dunwell field agent add/list``, ``cert add``, ``address``,
``plan``, ``assign``, ``visit``, ``roi``."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dunwell.cli.common import DbOption, app_for, clear_errors, console, now
from dunwell.core.dates import parse_date
from dunwell.core.errors import InvalidInput
from dunwell.core.money import format_minor, to_minor
from dunwell.field.model import VisitRecord
from dunwell.field.rules import VISIT_PROTOCOL

if TYPE_CHECKING:
    from dunwell.app.context import Dunwell
    from dunwell.app.field import visits as svc

#: ``dunwell.app.field.visits.ROI_DAYS``, repeated here so that the command line starts
#: without importing the application layer (a test keeps the two equal).
ROI_DAYS = 30

field_app = typer.Typer(help="Field visits: agents, certificates, addresses, plans, outcomes, "
                        "ROI.", no_args_is_help=True)
agent_app = typer.Typer(help="Field agents.", no_args_is_help=True)
cert_app = typer.Typer(help="Agents' training certificates.", no_args_is_help=True)
field_app.add_typer(agent_app, name="agent")
field_app.add_typer(cert_app, name="cert")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]



def _hhmm(text: str, name: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a clock time like 09:00", code="time_must_be_hhmm",
                           ) from None


def _day(text: str | None, app: Dunwell, name: str) -> dt.date:
    if text:
        return parse_date(text, field=name)
    with app.uow() as uow:
        info = uow.book.get()
    if info is None:
        raise InvalidInput(f"give {name} (the book is not open to take its date)",
                           code="date_must_be_given")
    return info.business_date


@agent_app.command("add")
def agent_add(
    agent_id: Annotated[str, typer.Argument(help="Agent id, e.g. f-11.")],
    name: Annotated[str, typer.Option(help="The agent's name.")],
    lat: Annotated[float, typer.Option(help="Territory centre latitude (degrees).")],
    lon: Annotated[float, typer.Option(help="Territory centre longitude (degrees).")],
    radius_m: Annotated[int, typer.Option("--radius-m", help="Territory radius, metres.")] = 8000,
    territory: Annotated[str | None, typer.Option(help="Territory name.")] = None,
    shift: Annotated[str, typer.Option(help="Working hours, local: START-END.")] = "09:00-17:30",
    timezone: Annotated[str, typer.Option(help="The agent's IANA time zone.")] = "Asia/Shanghai",
    capacity: Annotated[int, typer.Option(help="Visits per day at most.")] = 12,
    hourly_cost: Annotated[str, typer.Option(help="Cost of an hour's work, e.g. 60.00.")] = "60.00",
    cost_per_km: Annotated[str, typer.Option(help="Travel cost per km, e.g. 1.50.")] = "1.50",
    db: DbOption = None,
) -> None:
    """Add a field agent with a territory (centre + radius), shift and capacity."""
    from dunwell.app.field import visits as svc
    with clear_errors():
        app = app_for(db)
        currency = svc.book_currency(app)
        start, sep, end = shift.partition("-")
        if not sep:
            raise InvalidInput("--shift must look like 09:00-17:30", code="shift_must_be_a_range")
        agent = svc.add_agent(
            app, agent_id=agent_id, name=name, timezone=timezone,
            territory_name=territory or f"around {lat:.4f},{lon:.4f}", latitude=lat,
            longitude=lon, radius_m=radius_m, shift_start=_hhmm(start, "--shift"),
            shift_end=_hhmm(end, "--shift"), visits_per_day_max=capacity,
            hourly_cost_minor=to_minor(hourly_cost, currency, field="--hourly-cost"),
            cost_per_km_minor=to_minor(cost_per_km, currency, field="--cost-per-km"), now=now())
    console.print(f"agent {agent.agent_id} ({agent.name}): {agent.territory.name}, radius "
                  f"{agent.territory.radius_m} m, shift {shift}, {capacity} visits/day; train "
                  "and certify them with `dunwell training`")


@agent_app.command("list")
def agent_list(
    date: Annotated[str | None, typer.Option("--date", help="Certified on this date (default: "
                                              "the book's date).")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Agents, their territories and shifts, and whether they may visit on the date."""
    from dunwell.app.field import visits as svc
    with clear_errors():
        app = app_for(db)
        day = _day(date, app, "--date")
        rows = svc.list_agents(app, on=day)
    if as_json:
        typer.echo(json.dumps([{"agent_id": s.agent.agent_id, "name": s.agent.name,
                                "territory": s.agent.territory.name,
                                "certified": s.certified,
                                "gaps": s.describe_gaps()} for s in rows],
                              ensure_ascii=False))
        return
    table = Table(title=f"field agents on {day}")
    for col in ("agent", "name", "territory", "radius m", "shift", "visits/day", "certified"):
        table.add_column(col)
    for s in rows:
        a = s.agent
        table.add_row(a.agent_id, a.name, a.territory.name, str(a.territory.radius_m),
                      f"{a.shift.start:%H:%M}-{a.shift.end:%H:%M}", str(a.visits_per_day_max),
                      "[green]yes[/]" if s.certified else
                      "[red]no[/]: " + ", ".join(s.describe_gaps()))
    console.print(table)


@cert_app.command("add")
def cert_add(
    agent_id: Annotated[str, typer.Argument(help="Agent id.")],
    subject: Annotated[str, typer.Argument(help="communication_skills, legal_knowledge or "
                                                "privacy.")],
    expires: Annotated[str, typer.Option(help="Last valid day, YYYY-MM-DD (at most the "
                                              "course's validity after --issued).")],
    signer: Annotated[str, typer.Option(help="The trainer or compliance officer who signs "
                                             "(never the agent).")],
    score: Annotated[int, typer.Option(help="The outside assessment's score, percent (at "
                                            "least the course's passing score).")],
    evidence: Annotated[str, typer.Option(help="The outside course: provider and "
                                               "reference.")],
    issued: Annotated[str | None, typer.Option(help="First valid day (default: the book's "
                                                    "date).")] = None,
    number: Annotated[str | None, typer.Option(help="Certificate number.")] = None,
    db: DbOption = None,
) -> None:
    """Import a certificate earned on an outside course (an admin import: the passed
    score, its evidence and a signer other than the agent are recorded). Courses taken
    in Dunwell are certified with `dunwell training certify`."""
    from dunwell.app.field import visits as svc
    with clear_errors():
        app = app_for(db)
        cert = svc.add_certificate(app, agent_id=agent_id, subject=subject,
                                   expires_on=parse_date(expires, field="--expires"),
                                   issued_on=_day(issued, app, "--issued"), signed_by=signer,
                                   score_pct=score, evidence=evidence, number=number,
                                   now=now())
    console.print(f"certificate {cert.number}: {agent_id} in {cert.subject.value}, valid "
                  f"{cert.issued_on} to {cert.expires_on}, signed by {signer}")


@field_app.command("address")
def address(
    borrower_id: Annotated[int, typer.Argument(help="Borrower id.")],
    text: Annotated[str, typer.Option(help="The address as written.")],
    lat: Annotated[float | None, typer.Option(help="Latitude (degrees).")] = None,
    lon: Annotated[float | None, typer.Option(help="Longitude (degrees).")] = None,
    db: DbOption = None,
) -> None:
    """Store a borrower's address and its coordinates (nothing is geocoded online)."""
    from dunwell.app.field import visits as svc
    with clear_errors():
        stored = svc.set_address(app_for(db), borrower_id=borrower_id, text=text, latitude=lat,
                                 longitude=lon, now=now())
    where = (f"{stored.location.latitude}, {stored.location.longitude}" if stored.location
             else "no coordinates: visits cannot be planned until they are added")
    console.print(f"borrower {borrower_id}: {stored.text} ({where})")


@field_app.command("plan")
def plan(
    date: Annotated[str | None, typer.Option("--date", help="Day to plan (default: the "
                                              "book's date).")] = None,
    time_limit: Annotated[int, typer.Option("--time-limit", min=1, help=(
        "Most seconds the solver may search (VROOM and OR-Tools stop sooner once no "
        "better plan turns up)."))] = 5,
    solver: Annotated[str, typer.Option(help="vroom (best measured, docs/field.md), "
                                             "ortools or nearest.")] = "vroom",
    out: Annotated[Path | None, typer.Option(help="Directory for the itineraries (one .txt, "
                                                  ".html and .csv per agent).")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Plan the day's guard-allowed visits: certified agents by territory and workload,
    routes within contact windows and shifts, the guard again at each ETA; print the
    plan and write the itineraries."""
    from dunwell.app.day.clock import BookClock, DayStep
    from dunwell.app.field import visits as svc
    from dunwell.bootstrap import router_for
    with clear_errors():
        app = app_for(db)
        day = _day(date, app, "--date")
        router = router_for(solver, time_limit_s=time_limit)
        with Progress(TextColumn("plan {task.description}"), BarColumn(), TimeElapsedColumn(),
                      console=console, transient=True, disable=as_json) as bar:
            task = bar.add_task(str(day), total=3)
            report = svc.plan_visits(app, plan_date=day, router=router,
                                     now=BookClock().at(day, DayStep.FIELD_PLAN),
                                     time_limit_s=time_limit,
                                     progress=lambda stage, done, total: bar.update(
                                         task, completed=done, total=total,
                                         description=f"{day}: {stage}"))
        its, left = svc.itineraries(app, plan_date=day)
        currency = svc.book_currency(app)
    if out is not None:
        write_itineraries(its, out, currency)
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, sort_keys=True))
        return
    show_plan(report, its, left, currency)
    if out is not None:
        console.print(f"itineraries written to {out}")


def show_plan(report: svc.PlanReport, its: list[svc.Itinerary], left: list[VisitRecord],
              currency: str) -> None:
    summary = Table(title=f"field plan {report.plan_date} ({report.solver}): "
                          f"{report.planned} of {report.candidates} visits planned")
    for col in ("agent", "certificates", "visits", "km", "travel min", "cost"):
        summary.add_column(col, justify="right" if col not in ("agent", "certificates")
                           else "left")
    for it in its:
        day = report.agents.get(it.agent.agent_id)
        summary.add_row(it.agent.agent_id, it.certificate_numbers, str(len(it.lines)),
                        f"{(day.distance_m if day else it.travel_m) / 1000:.1f}",
                        str(day.travel_min if day else ""),
                        format_minor(day.cost_minor if day else it.cost_minor, currency))
    console.print(summary)
    for it in its:
        t = Table(title=f"{it.agent.agent_id} {it.agent.name}: itinerary")
        for col in ("#", "ETA", "window", "visit", "borrower", "address", "case"):
            t.add_column(col)
        for x in it.lines:
            t.add_row(str(x.sequence), f"{x.eta:%H:%M}", x.window, str(x.visit_id),
                      x.borrower_name, x.address, x.case_id)
        console.print(t)
    if left:
        t = Table(title="not on an itinerary")
        for col in ("visit", "borrower", "case", "status", "reason"):
            t.add_column(col)
        for v in left:
            t.add_row(str(v.visit_id), str(v.borrower_id), v.case_id, v.status.value, v.reason)
        console.print(t)


def write_itineraries(its: list[svc.Itinerary], out: Path, currency: str) -> list[Path]:
    """One printable .txt, an .html page and a .csv per agent."""
    from dunwell.app.field import visits as svc
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for it in its:
        stem = out / f"itinerary-{it.plan_date}-{it.agent.agent_id}"
        text = svc.itinerary_text(it, currency=currency, protocol=VISIT_PROTOCOL)
        stem.with_suffix(".txt").write_text(text, encoding="utf-8")
        buf = io.StringIO()
        csv.writer(buf).writerows(svc.itinerary_csv_rows(it))
        stem.with_suffix(".csv").write_text(buf.getvalue(), encoding="utf-8")
        stem.with_suffix(".html").write_text(_html(it, currency), encoding="utf-8")
        written += [stem.with_suffix(s) for s in (".txt", ".csv", ".html")]
    return written


def _html(it: svc.Itinerary, currency: str) -> str:
    e = html.escape
    rows = "".join(f"<tr><td>{x.sequence}</td><td>{x.eta:%H:%M}</td><td>{e(x.window)}</td>"
                   f"<td>{x.visit_id}</td><td>{e(x.borrower_name)}</td><td>{e(x.address)}</td>"
                   f"<td>{e(x.case_id)}</td><td></td></tr>" for x in it.lines)
    protocol = "".join(f"<li>{e(p[3:])}</li>" for p in VISIT_PROTOCOL)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Itinerary "
            f"{it.plan_date} {e(it.agent.agent_id)}</title><style>body{{font-family:sans-serif}}"
            f"table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:4px}}"
            f"</style></head><body><h1>Itinerary {it.plan_date}: {e(it.agent.name)} "
            f"({e(it.agent.agent_id)})</h1><p>Certificates: {e(it.certificate_numbers)}</p>"
            f"<h2>Visit protocol</h2><ol>{protocol}</ol><table><tr><th>#</th><th>ETA</th>"
            f"<th>window</th><th>visit</th><th>borrower</th><th>address</th><th>case</th>"
            f"<th>outcome</th></tr>{rows}</table><p>{len(it.lines)} visits, planned cost "
            f"{format_minor(it.cost_minor, currency)} {e(currency)}</p></body></html>\n")


@field_app.command("assign")
def assign(
    visit_id: Annotated[int, typer.Argument(help="Visit id.")],
    agent_id: Annotated[str, typer.Argument(help="Agent id.")],
    db: DbOption = None,
) -> None:
    """Give a visit to an agent by hand; refused unless the agent holds valid
    certificates in every required subject on the visit date."""
    from dunwell.app.day.clock import book_date_or_today
    from dunwell.app.field import visits as svc
    with clear_errors():
        app = app_for(db)
        with app.uow() as uow:
            book = uow.book.get()
        visit = svc.assign_visit(app, visit_id=visit_id, agent_id=agent_id,
                                 now=book_date_or_today(book.business_date if book else None))
    console.print(f"visit {visit.visit_id} assigned to {agent_id}; re-run `dunwell field plan "
                  f"--date {visit.plan_date}` to route it")


@field_app.command("visit")
def visit(
    visit_id: Annotated[int, typer.Argument(help="Visit id.")],
    outcome: Annotated[str, typer.Option(help="delivered_in_person, not_at_home, moved, "
                                              "refused, promise_to_pay, plan_requested, "
                                              "hardship_reported.")],
    at: Annotated[str, typer.Option(help="When, with offset: 2026-11-24T10:05:00+08:00.")],
    lat: Annotated[float, typer.Option(help="Where it was recorded: latitude.")],
    lon: Annotated[float, typer.Option(help="Where it was recorded: longitude.")],
    note: Annotated[str, typer.Option(help="What was said or seen.")] = "",
    letter_no: Annotated[str | None, typer.Option(help="Letter handed to the borrower.")] = None,
    proof: Annotated[str | None, typer.Option(help="Proof of delivery (signature photo id, "
                                                   "recording id).")] = None,
    promise_amount: Annotated[str | None, typer.Option(
        help="Promised amount, e.g. 500.00.")] = None,
    promise_due: Annotated[str | None, typer.Option(help="Promised date, YYYY-MM-DD.")] = None,
    db: DbOption = None,
) -> None:
    """Record a visit's outcome: it feeds the case timeline, the contact history the
    guard reads, promises and the letter register."""
    from dunwell.app.field import visits as svc
    with clear_errors():
        app = app_for(db)
        try:
            when = dt.datetime.fromisoformat(at)
        except ValueError:
            raise InvalidInput("--at must be an ISO timestamp like 2026-11-24T10:05:00+08:00",
                               code="timestamp_must_be_iso") from None
        currency = svc.book_currency(app)
        rec = svc.record_visit_outcome(
            app, visit_id=visit_id, outcome=outcome, at=when, latitude=lat, longitude=lon,
            note=note, letter_no=letter_no, proof=proof,
            promise_amount_minor=to_minor(promise_amount, currency, field="--promise-amount")
            if promise_amount else None,
            promise_due=parse_date(promise_due, field="--promise-due") if promise_due else None)
    flag = (f"; [yellow]recorded {rec.distance_from_address_m} m from the stored address[/]"
            if rec.place_flagged else "")
    console.print(f"visit {rec.visit_id} ({rec.case_id}): {outcome}{flag}")


@field_app.command("roi")
def roi(
    date_from: Annotated[str | None, typer.Option("--from", help="First plan date.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last plan date.")] = None,
    days: Annotated[int, typer.Option(help="Payments counted this many days after a "
                                           "visit.")] = ROI_DAYS,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Visit return: visits, their cost, what those borrowers paid within --days after."""
    from dunwell.app.field import visits as svc
    with clear_errors():
        app = app_for(db)
        rows = svc.visit_roi(app, date_from=parse_date(date_from, field="--from")
                             if date_from else None,
                             date_to=parse_date(date_to, field="--to") if date_to else None,
                             days_after=days)
        currency = svc.book_currency(app)
    if as_json:
        typer.echo(json.dumps([{"agent_id": r.agent_id, "visits": r.visits,
                                "cost": format_minor(r.cost_minor, currency),
                                "collected": format_minor(r.collected_minor, currency),
                                "ratio": None if r.ratio is None else str(r.ratio)}
                               for r in rows]))
        return
    table = Table(title=f"field visit ROI ({date_from or 'start'} to {date_to or 'now'}, "
                        f"payments within {days} days)")
    for col in ("agent", "visits", "cost", "collected", "collected / cost"):
        table.add_column(col, justify="right" if col != "agent" else "left")
    for r in rows:
        table.add_row("all agents" if r.agent_id == "*" else r.agent_id, str(r.visits),
                      format_minor(r.cost_minor, currency), format_minor(r.collected_minor,
                                                                         currency),
                      "-" if r.ratio is None else f"{r.ratio}")
    if not rows:
        table.caption = "no visit has an outcome recorded in that period"
    console.print(table)
