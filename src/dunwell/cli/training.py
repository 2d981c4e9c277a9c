"""Training commands: ``dunwell training staff add/list``, ``courses``, ``course``,
``enrol``, ``module done``, ``attempt``, ``certify``, ``import``, ``suspend``,
``reinstate``, ``complaint``, ``status``, ``warnings``, ``review add``, ``quality``,
``enforce``, ``records``. Every list prints as a table."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from dunwell.cli.common import DbOption, app_for, clear_errors, console, now, parse_aware
from dunwell.core.dates import parse_date
from dunwell.core.errors import InvalidInput
from dunwell.training.curriculum import builtin_checklist, builtin_curriculum
from dunwell.training.model import Action, Subject

if TYPE_CHECKING:
    from dunwell.app.context import Dunwell
    from dunwell.app.training import report

training_app = typer.Typer(help="Staff training and certification: the register, courses, "
                           "attempts, certificates, the gate, warnings and quality.",
                           no_args_is_help=True)
staff_app = typer.Typer(help="The staff register.", no_args_is_help=True)
module_app = typer.Typer(help="Course modules.", no_args_is_help=True)
review_app = typer.Typer(help="Quality reviews of recorded calls and visits.",
                         no_args_is_help=True)
training_app.add_typer(staff_app, name="staff")
training_app.add_typer(module_app, name="module")
training_app.add_typer(review_app, name="review")

LangOption = Annotated[str, typer.Option("--lang", help="Language of the material: en or "
                                                        "zh-CN.")]
STYLE = {"valid": "green", "expiring": "yellow", "expired": "red", "missing": "red",
         "suspended": "magenta", "not_yet_valid": "red"}
#: Largest answers file read.
ANSWERS_BYTES_MAX = 100_000


def _day(text: str | None, app: Dunwell, name: str) -> dt.date:
    if text:
        return parse_date(text, field=name)
    with app.uow() as uow:
        info = uow.book.get()
    return info.business_date if info is not None else now().date()


def _lang(lang: str) -> str:
    if lang not in ("en", "zh-CN"):
        raise InvalidInput("--lang must be en or zh-CN", code="language_must_be_known")
    return lang


# --- the register -----------------------------------------------------------------------


@staff_app.command("add")
def staff_add(
    staff_id: Annotated[str, typer.Argument(help="Staff id (a field agent's is their agent "
                                                 "id).")],
    name: Annotated[str, typer.Option(help="The person's name.")],
    role: Annotated[str, typer.Option(help="collector, field_agent, team_lead, manager, "
                                           "risk_analyst, compliance_officer, legal_counsel, "
                                           "trainer or admin.")],
    lead: Annotated[str | None, typer.Option(help="Their lead's staff id.")] = None,
    db: DbOption = None,
) -> None:
    """Register a staff member."""
    from dunwell.app.training import service as svc
    with clear_errors():
        staff = svc.add_staff(app_for(db), staff_id=staff_id, name=name, role=role,
                              lead_id=lead, now=now())
    console.print(f"staff {staff.staff_id} ({staff.name}): {staff.role.value}"
                  + (f", lead {staff.lead_id}" if staff.lead_id else ""))


@staff_app.command("list")
def staff_list(db: DbOption = None) -> None:
    """The staff register."""
    from dunwell.app.training import service as svc
    with clear_errors():
        rows = svc.list_staff(app_for(db))
    table = Table(title="staff")
    for col in ("staff", "name", "role", "lead", "active"):
        table.add_column(col)
    for s in rows:
        table.add_row(s.staff_id, s.name, s.role.value, s.lead_id or "-",
                      "yes" if s.active else "no")
    console.print(table)


@training_app.command("enforce")
def enforce(
    state: Annotated[str, typer.Argument(help="on: everyone named on a call, plan approval "
                                              "or legal step must be in the register; off.")],
    by: Annotated[str, typer.Option(help="Compliance officer, manager or admin setting it.")],
    db: DbOption = None,
) -> None:
    """Require the staff register for every gated action (or stop requiring it)."""
    from dunwell.app.training import service as svc
    with clear_errors():
        if state not in ("on", "off"):
            raise InvalidInput("say on or off", code="register_rule_must_be_on_or_off")
        svc.set_register_required(app_for(db), required=state == "on", by=by, now=now())
    console.print(f"staff register required: {state}")


# --- the curriculum -------------------------------------------------------------------


@training_app.command("courses")
def courses(lang: LangOption = "en") -> None:
    """The courses, and which roles need which subjects before which actions."""
    with clear_errors():
        lang = _lang(lang)
    cur = builtin_curriculum()
    table = Table(title="courses")
    for col in ("course", "subject", "title", "modules", "questions", "pass", "time limit",
                "valid days", "refresher"):
        table.add_column(col)
    for c in cur.courses:
        table.add_row(c.course_id, c.subject.value, c.title[lang], str(len(c.modules)),
                      str(len(c.questions)), f"{c.pass_score_pct}%", f"{c.time_limit_min} min",
                      str(c.validity_days),
                      f"{c.refresher_days_before} d before expiry: "
                      + ", ".join(c.refresher_modules))
    console.print(table)
    need = Table(title="what each action requires")
    for col in ("action", "roles", "subjects"):
        need.add_column(col)
    for r in cur.requirements:
        need.add_row(r.action.value, ", ".join(sorted(x.value for x in r.roles)),
                     ", ".join(s.value for s in r.subjects))
    console.print(need)


@training_app.command("course")
def course(
    course_id: Annotated[str, typer.Argument(help="Course id, e.g. LAW-101.")],
    lang: LangOption = "en",
    questions: Annotated[bool, typer.Option(help="Print the question bank too (without "
                                                 "answers).")] = False,
) -> None:
    """A course's modules with their material, and its questions."""
    with clear_errors():
        lang = _lang(lang)
        c = builtin_curriculum().course(course_id)
    console.print(f"[bold]{c.course_id} {c.title[lang]}[/] (v{c.version}, pass "
                  f"{c.pass_score_pct}% in {c.time_limit_min} min)")
    for m in c.modules:
        console.print(f"\n[bold]{m.module_id}[/] {m.title[lang]} ({m.minutes} min)\n"
                      f"{m.material[lang]}")
    if questions:
        for q in c.questions:
            console.print(f"\n[bold]{q.question_id}[/] {q.prompt[lang]}")
            for key, text in q.choices.items():
                console.print(f"  {key}) {text[lang]}")


# --- records ---------------------------------------------------------------------------


@training_app.command("enrol")
def enrol(
    staff_id: Annotated[str, typer.Argument(help="Staff id.")],
    course_id: Annotated[str, typer.Argument(help="Course id.")],
    refresher: Annotated[bool, typer.Option(help="Only the refresher modules.")] = False,
    date: Annotated[str | None, typer.Option("--date", help="Enrolment date (default: the "
                                                            "book's date).")] = None,
    db: DbOption = None,
) -> None:
    """Enrol a staff member in a course (or its refresher)."""
    from dunwell.app.training import service as svc
    with clear_errors():
        app = app_for(db)
        e = svc.enrol(app, staff_id=staff_id, course_id=course_id,
                      on=_day(date, app, "--date"), refresher=refresher, now=now())
    console.print(f"enrolment {e.enrolment_id}: {staff_id} in {course_id}"
                  + (" (refresher)" if e.refresher else "")
                  + f"; modules to do: {', '.join(svc.modules_left(e)) or 'none'}")


@module_app.command("done")
def module_done(
    staff_id: Annotated[str, typer.Argument(help="Staff id.")],
    course_id: Annotated[str, typer.Argument(help="Course id.")],
    module_id: Annotated[str, typer.Argument(help="Module id.")],
    db: DbOption = None,
) -> None:
    """Record a module as completed."""
    from dunwell.app.training import service as svc
    with clear_errors():
        e = svc.complete_module(app_for(db), staff_id=staff_id, course_id=course_id,
                                module_id=module_id, now=now())
    left = svc.modules_left(e)
    console.print(f"{staff_id}: {module_id} done; "
                  + (f"still to do: {', '.join(left)}" if left else "ready for the assessment"))


def _answers(path: Path | None, pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    if path is not None:
        try:
            if path.stat().st_size > ANSWERS_BYTES_MAX:
                raise InvalidInput(f"{path} is larger than {ANSWERS_BYTES_MAX} bytes",
                                   code="answers_file_must_be_small")
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidInput(f"cannot read answers from {path}: {exc}",
                               code="answers_file_must_be_json") from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise InvalidInput('the answers file is a JSON object {"question id": "choice"}',
                               code="answers_file_must_be_json")
        out.update(data)
    for pair in pairs:
        qid, sep, choice = pair.partition("=")
        if not sep:
            raise InvalidInput(f"--answer {pair!r} must look like law-q1=c",
                               code="answer_must_be_question_equals_choice")
        out[qid.strip()] = choice.strip()
    return out


@training_app.command("attempt")
def attempt(
    staff_id: Annotated[str, typer.Argument(help="Staff id.")],
    course_id: Annotated[str, typer.Argument(help="Course id.")],
    started: Annotated[str, typer.Option(help="When the attempt started, with offset.")],
    submitted: Annotated[str | None, typer.Option(help="When it was submitted (default: "
                                                       "now).")] = None,
    answers: Annotated[Path | None, typer.Option(help='JSON file {"question id": "choice"}.'
                                                 )] = None,
    answer: Annotated[list[str] | None, typer.Option(help="One answer, e.g. law-q1=c "
                                                          "(repeatable).")] = None,
    db: DbOption = None,
) -> None:
    """Submit an assessment attempt; it is scored and recorded, pass or fail."""
    from dunwell.app.training import service as svc
    with clear_errors():
        given = _answers(answers, answer or [])
        a = svc.submit_attempt(app_for(db), staff_id=staff_id, course_id=course_id,
                               answers=given, started_at=parse_aware(started, "--started"),
                               submitted_at=(parse_aware(submitted, "--submitted")
                                             if submitted else now()), now=now())
    s = a.score
    verdict = "[green]passed[/]" if s.passed else "[red]failed[/]"
    console.print(f"attempt {a.attempt_id}: {staff_id} {course_id} {s.correct}/{s.total} = "
                  f"{s.score_pct}% {verdict}" + (" (over the time limit)" if s.over_time else "")
                  + (f"; wrong: {', '.join(s.wrong)}" if s.wrong else ""))


@training_app.command("certify")
def certify(
    staff_id: Annotated[str, typer.Argument(help="Staff id.")],
    course_id: Annotated[str, typer.Argument(help="Course id.")],
    signer: Annotated[str, typer.Option(help="The trainer or compliance officer signing "
                                             "(never the trainee).")],
    issued: Annotated[str | None, typer.Option(help="First valid day (default: the book's "
                                                    "date).")] = None,
    db: DbOption = None,
) -> None:
    """Issue the course's certificate on a passed assessment, signed by someone else."""
    from dunwell.app.training import service as svc
    with clear_errors():
        app = app_for(db)
        c = svc.certify(app, staff_id=staff_id, course_id=course_id, signer_id=signer,
                        issued_on=_day(issued, app, "--issued"), now=now())
    console.print(f"certificate {c.number}: {staff_id} in {c.subject.value}, valid "
                  f"{c.issued_on} to {c.expires_on}, signed by {c.signed_by} "
                  f"(score {c.score_pct}%)")


@training_app.command("import")
def import_(
    staff_id: Annotated[str, typer.Argument(help="Staff id.")],
    subject: Annotated[str, typer.Argument(help="Subject, e.g. privacy.")],
    signer: Annotated[str, typer.Option(help="Trainer or compliance officer signing.")],
    score: Annotated[int, typer.Option(help="The outside assessment's score, percent.")],
    evidence: Annotated[str, typer.Option(help="The outside course: provider and "
                                               "reference.")],
    issued: Annotated[str | None, typer.Option(help="First valid day.")] = None,
    expires: Annotated[str | None, typer.Option(help="Last valid day (default: the course's "
                                                     "validity).")] = None,
    db: DbOption = None,
) -> None:
    """Import a certificate from an outside course's passed assessment."""
    from dunwell.app.training import service as svc
    with clear_errors():
        app = app_for(db)
        c = svc.import_certificate(app, staff_id=staff_id, subject=subject, signer_id=signer,
                                   score_pct=score, evidence=evidence,
                                   issued_on=_day(issued, app, "--issued"),
                                   expires_on=parse_date(expires, field="--expires")
                                   if expires else None, now=now())
    console.print(f"certificate {c.number}: {staff_id} in {c.subject.value}, valid "
                  f"{c.issued_on} to {c.expires_on}, signed by {c.signed_by}")


@training_app.command("suspend")
def suspend(
    staff_id: Annotated[str, typer.Argument(help="Staff id.")],
    by: Annotated[str, typer.Option(help="Trainer, compliance officer or manager.")],
    reason: Annotated[str, typer.Option(help="Why.")],
    subject: Annotated[list[str] | None, typer.Option(help="Only this subject "
                                                           "(repeatable; default: all).")] = None,
    complaint: Annotated[str | None, typer.Option(help="The upheld complaint's "
                                                       "reference.")] = None,
    date: Annotated[str | None, typer.Option("--date", help="From (default: the book's "
                                                            "date).")] = None,
    db: DbOption = None,
) -> None:
    """Suspend a staff member's certificates: the gate refuses them until reinstated."""
    from dunwell.app.training import service as svc
    with clear_errors():
        app = app_for(db)
        sid = svc.suspend(app, staff_id=staff_id, by=by, reason=reason,
                          on=_day(date, app, "--date"), subjects=subject or [],
                          complaint_ref=complaint, now=now())
    console.print(f"suspension {sid}: {staff_id} suspended ({', '.join(subject or ['all'])})")


@training_app.command("reinstate")
def reinstate(
    staff_id: Annotated[str, typer.Argument(help="Staff id.")],
    by: Annotated[str, typer.Option(help="Trainer, compliance officer or manager.")],
    note: Annotated[str, typer.Option(help="Why (e.g. refresher passed).")],
    date: Annotated[str | None, typer.Option("--date", help="From (default: the book's "
                                                            "date).")] = None,
    db: DbOption = None,
) -> None:
    """Lift a staff member's open suspensions."""
    from dunwell.app.training import service as svc
    with clear_errors():
        app = app_for(db)
        ids = svc.reinstate(app, staff_id=staff_id, by=by, note=note,
                            on=_day(date, app, "--date"), now=now())
    console.print(f"{staff_id} reinstated (suspension {', '.join(map(str, ids))})")


@training_app.command("complaint")
def complaint(
    reference: Annotated[str, typer.Argument(help="Complaint reference.")],
    staff_id: Annotated[str, typer.Option("--staff", help="Whose conduct.")],
    by: Annotated[str, typer.Option(help="Who records it.")],
    upheld: Annotated[bool, typer.Option(help="Upheld after investigation.")] = False,
    note: Annotated[str, typer.Option(help="What happened.")] = "",
    date: Annotated[str | None, typer.Option("--date", help="Received on.")] = None,
    db: DbOption = None,
) -> None:
    """Record a complaint about a staff member's conduct."""
    from dunwell.app.training import service as svc
    with clear_errors():
        app = app_for(db)
        svc.record_complaint(app, reference=reference, staff_id=staff_id,
                             received_on=_day(date, app, "--date"), upheld=upheld, note=note,
                             by=by, now=now())
    console.print(f"complaint {reference} about {staff_id}: "
                  + ("upheld" if upheld else "not upheld"))


@training_app.command("records")
def records(
    staff_id: Annotated[str | None, typer.Argument(help="Staff id (default: all).")] = None,
    db: DbOption = None,
) -> None:
    """Enrolments, attempts and certificates."""
    from dunwell.app.training import service as svc
    with clear_errors():
        app = app_for(db)
        ens = svc.enrolments(app, staff_id=staff_id)
        tries = svc.attempts(app, staff_id=staff_id)
        certs = svc.certificates(app, staff_id=staff_id)
    t1 = Table(title="enrolments")
    for col in ("id", "staff", "course", "enrolled", "status", "modules done", "refresher"):
        t1.add_column(col)
    for e in ens:
        t1.add_row(str(e.enrolment_id), e.staff_id, e.course_id, str(e.enrolled_on),
                   e.status.value, ", ".join(e.modules_done), "yes" if e.refresher else "")
    t2 = Table(title="attempts")
    for col in ("id", "staff", "course", "started", "minutes", "score", "result"):
        t2.add_column(col)
    for a in tries:
        minutes = int((a.submitted_at - a.started_at).total_seconds() // 60)
        t2.add_row(str(a.attempt_id), a.staff_id, a.course_id, a.started_at.isoformat(),
                   str(minutes), f"{a.score.correct}/{a.score.total} {a.score.score_pct}%",
                   "pass" if a.score.passed else "fail" + (" (time)" if a.score.over_time
                                                           else ""))
    t3 = Table(title="certificates")
    for col in ("number", "staff", "subject", "issued", "expires", "signed by", "source",
                "score"):
        t3.add_column(col)
    for c in certs:
        t3.add_row(c.number, c.staff_id, c.subject.value, str(c.issued_on), str(c.expires_on),
                   c.signed_by, c.source.value, f"{c.score_pct}%" if c.score_pct else "-")
    for t in (t1, t2, t3):
        console.print(t)


# --- the gate, warnings, quality -----------------------------------------------------------


def status_table(rows: list[report.StaffStatus], day: dt.date, title: str | None = None
                 ) -> Table:
    table = Table(title=title or f"training status on {day}")
    table.add_column("staff")
    table.add_column("role")
    for s in Subject:
        table.add_column(s.value)
    table.add_column("may")
    for r in rows:
        cells = [f"[{STYLE[c.status]}]{c.describe()}[/]" for c in r.cells.values()]
        table.add_row(r.staff.staff_id, r.staff.role.value, *cells,
                      ", ".join(a.value for a in r.may) or "[red]nothing[/]")
    return table


@training_app.command("status")
def status(
    staff_id: Annotated[str | None, typer.Argument(help="One staff member (default: "
                                                        "all).")] = None,
    date: Annotated[str | None, typer.Option("--date", help="On this date (default: the "
                                                            "book's date).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Staff × subject: valid, expiring, expired, missing or suspended; and what each
    may do that day."""
    from dunwell.app.training import report
    with clear_errors():
        app = app_for(db)
        day = _day(date, app, "--date")
        rows = report.status(app, on=day, staff_id=staff_id)
    if as_json:
        typer.echo(json.dumps([{
            "staff_id": r.staff.staff_id, "role": r.staff.role.value,
            "subjects": {s.value: c.describe() for s, c in r.cells.items()},
            "actions": {a.value: (None if v.allowed else v.describe())
                        for a, v in r.verdicts.items()}} for r in rows], ensure_ascii=False))
        return
    console.print(status_table(rows, day))
    for r in rows if staff_id else []:
        for a in Action:
            v = r.verdicts[a]
            console.print(f"{a.value}: " + ("[green]allowed[/]" if v.allowed
                                             else f"[red]refused[/]: {v.describe()}"))


def warnings_table(rows: list[report.Warning], day: dt.date, days: int) -> Table:
    table = Table(title=f"certificates expiring within {days} days of {day}")
    for col in ("staff", "lead", "subject", "expires", "days left", "refresher", "sent"):
        table.add_column(col)
    for w in rows:
        table.add_row(w.staff_id, w.lead_id or "-", w.subject.value, str(w.expires_on),
                      str(w.days_left), w.refresher_course, "new" if w.new else "before")
    return table


@training_app.command("warnings")
def warnings(
    days: Annotated[int, typer.Option(help="Look this many days ahead.")] = 30,
    date: Annotated[str | None, typer.Option("--date", help="From this date (default: the "
                                                            "book's date).")] = None,
    send: Annotated[bool, typer.Option(help="Record each new warning to the person and "
                                            "their lead.")] = True,
    db: DbOption = None,
) -> None:
    """Certificates about to expire, for the person and their lead."""
    from dunwell.app.training import report
    with clear_errors():
        app = app_for(db)
        day = _day(date, app, "--date")
        rows = report.warnings(app, on=day, days=days, now=now(), send=send)
    console.print(warnings_table(rows, day, days))


@review_app.command("add")
def review_add(
    staff_id: Annotated[str, typer.Argument(help="Whose call or visit.")],
    kind: Annotated[str, typer.Option(help="call or visit.")],
    reference: Annotated[str, typer.Option(help="The contact or visit id reviewed.")],
    reviewer: Annotated[str, typer.Option(help="The reviewer's staff id.")],
    passed: Annotated[list[str] | None, typer.Option("--pass", help="A checklist item "
                                                                    "passed (repeatable).")
                      ] = None,
    failed: Annotated[list[str] | None, typer.Option("--fail", help="A checklist item failed "
                                                                    "(repeatable).")] = None,
    note: Annotated[str, typer.Option(help="Comments.")] = "",
    date: Annotated[str | None, typer.Option("--date", help="Reviewed on.")] = None,
    db: DbOption = None,
) -> None:
    """Review a recorded call or visit against the checklist (each item pass or fail)."""
    from dunwell.app.training import report
    with clear_errors():
        app = app_for(db)
        score = report.add_review(app, staff_id=staff_id, kind=kind, reference=reference,
                                  reviewer=reviewer, passed=passed or [], failed=failed or [],
                                  on=_day(date, app, "--date"), note=note, now=now())
    console.print(f"review of {kind} {reference} by {staff_id}: {score}%")


@review_app.command("sample")
def review_sample(
    date_from: Annotated[str, typer.Option("--from", help="First day.")],
    date_to: Annotated[str | None, typer.Option("--to", help="Last day (default: the book's "
                                                             "date).")] = None,
    per_staff: Annotated[int, typer.Option(help="Calls and visits per person.")] = 2,
    seed: Annotated[int, typer.Option(help="Seed of the draw (the same seed, the same "
                                           "sample).")] = 1,
    db: DbOption = None,
) -> None:
    """Draw unreviewed calls and visits per person for the reviewers."""
    from dunwell.app.training import report
    with clear_errors():
        app = app_for(db)
        start = parse_date(date_from, field="--from")
        end = _day(date_to, app, "--to")
        rows = report.sample_for_review(app, start=start, end=end, per_staff=per_staff,
                                        seed=seed)
    table = Table(title=f"to review, {start} to {end}")
    for col in ("staff", "kind", "reference", "when", "borrower", "outcome"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["staff_id"]), str(r["kind"]), str(r["reference"]), str(r["when"]),
                      str(r["borrower_id"]), str(r["outcome"] or "-"))
    console.print(table)


@review_app.command("checklist")
def review_checklist(lang: LangOption = "en") -> None:
    """The quality checklist."""
    with clear_errors():
        lang = _lang(lang)
    table = Table(title="quality checklist")
    table.add_column("item")
    table.add_column("what the reviewer checks")
    for item in builtin_checklist():
        table.add_row(item.item_id, item.text[lang])
    console.print(table)


@training_app.command("quality")
def quality(
    date_from: Annotated[str, typer.Option("--from", help="First day.")],
    date_to: Annotated[str | None, typer.Option("--to", help="Last day (default: the book's "
                                                             "date).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    enrol: Annotated[bool, typer.Option("--enrol", help="Enrol everyone a refresher is "
                                                        "recommended for.")] = False,
    db: DbOption = None,
) -> None:
    """Per staff member: review score, upheld complaints, guard denials, contacts, and
    whether a refresher is recommended (and which courses)."""
    from dunwell.app.training import report
    with clear_errors():
        app = app_for(db)
        start = parse_date(date_from, field="--from")
        end = _day(date_to, app, "--to")
        rows = report.quality(app, start=start, end=end)
        enrolled = (report.enrol_refreshers(app, start=start, end=end, on=end, now=now())
                    if enrol else [])
    if as_json:
        typer.echo(json.dumps([{
            "staff_id": r.figures.staff_id, "role": r.role, "reviews": r.figures.reviews,
            "review_score_pct": r.figures.review_score_pct,
            "complaints": r.figures.complaints, "denials": r.figures.denials,
            "contacts": r.contacts, "refresher": r.verdict.refresher,
            "reasons": list(r.verdict.reasons), "courses": list(r.verdict.courses)}
            for r in rows]))
        return
    table = Table(title=f"quality {start} to {end}")
    for col in ("staff", "role", "contacts", "reviews", "review score", "complaints",
                "guard denials", "refresher"):
        table.add_column(col)
    for r in rows:
        f = r.figures
        table.add_row(f.staff_id, r.role, str(r.contacts), str(f.reviews),
                      "-" if f.review_score_pct is None else f"{f.review_score_pct}%",
                      str(f.complaints), str(f.denials),
                      f"[yellow]{', '.join(r.verdict.courses)}[/]: "
                      + "; ".join(r.verdict.reasons) if r.verdict.refresher else "no")
    console.print(table)
    for staff_id, course_id, eid in enrolled:
        console.print(f"enrolment {eid}: {staff_id} in the {course_id} refresher")


def gate_day_table(app: Dunwell, default_day: dt.date, staff_ids: list[str]) -> Table:
    """For the demo: on its busiest plan day (else ``default_day``), each named
    person's main action (a visit for field agents, a call for collectors), refused
    or warned for certificate reasons, with the visits the day's plan gave them; the
    warnings are sent to them and their lead."""
    from dunwell.app.training import report
    day = report.busiest_plan_day(app) or default_day
    rows = {r.staff.staff_id: r for r in report.status(app, on=day)}
    sent = {(w.staff_id, w.subject) for w in report.warnings(app, on=day, days=30, now=now())}
    planned = report.planned_visits(app, on=day)
    table = Table(title=f"the gate on {day}: assignments refused or warned for certificates")
    for col in ("staff", "role", "action", "gate", "visits planned"):
        table.add_column(col)
    for sid in staff_ids:
        r = rows.get(sid)
        if r is None:
            continue
        action = Action.VISIT if r.staff.role.value == "field_agent" else Action.CALL
        v = r.verdicts[action]
        if not v.allowed:
            gate = f"[red]refused[/]: {v.describe()}"
        elif v.expiring:
            gate = "[yellow]warned[/]: " + ", ".join(
                f"{e.subject.value} expires {e.expires_on} ({e.days_left} d)"
                + (", warning sent to them and their lead" if (sid, e.subject) in sent else "")
                for e in v.expiring)
        else:
            gate = "[green]qualified[/]"
        table.add_row(sid, r.staff.role.value, action.value, gate,
                      str(planned.get(sid, 0)) if action is Action.VISIT else "-")
    others = [k for k in planned if k not in staff_ids]
    if others:
        table.add_row(f"{len(others)} others", "field_agent", "visit", "[green]qualified[/]",
                      str(sum(planned[k] for k in others)))
    return table
