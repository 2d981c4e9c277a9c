"""``dunwell complaints``: record, list (overdue first), show, answer, escalate, close;
bad input exits 2 with the code and changes nothing."""

from __future__ import annotations

from typer.testing import CliRunner

from dunwell.bootstrap import Dunwell
from dunwell.cli.main import app as cli
from dunwell.compliance.model import Jurisdiction

runner = CliRunner()


def dunwell(db_url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli, [*args, "--db", db_url])
    return result.exit_code, result.output


def test_complaints_are_recorded_answered_escalated_and_closed(
        app: Dunwell, db_url: str, wide_console: None) -> None:
    with app.uow() as uow:
        uow.borrowers.put(borrower_id=5, name="Person 5", jurisdiction=Jurisdiction.UK_FCA,
                          timezone="Europe/London", language="en")
        uow.commit()
    code, out = dunwell(db_url, "complaints", "record", "5", "--category", "debt_not_mine",
                        "--channel", "letter", "--text", "I never took this loan.")
    assert code == 0, out
    assert "complaint 1 recorded for borrower 5 (UK-FCA)" in out
    assert "collection pauses until it is answered" in out
    code, out = dunwell(db_url, "complaints", "list")
    assert code == 0 and "debt_not_mine (dispute)" in out and "1 complaints, 0 overdue" in out
    code, out = dunwell(db_url, "complaints", "list", "--overdue")
    assert code == 0 and "0 complaints" in out
    code, out = dunwell(db_url, "complaints", "escalate", "1", "--to", "ombudsman")
    assert code == 2 and "complaint_escalation_must_follow_answer_or_deadline" in out
    code, out = dunwell(db_url, "complaints", "answer", "1", "--text", "Agreement enclosed.")
    assert code == 0 and "final response recorded within its deadline" in out
    code, out = dunwell(db_url, "complaints", "escalate", "1", "--to", "ombudsman")
    assert code == 0 and "escalated to ombudsman" in out
    code, out = dunwell(db_url, "complaints", "close", "1", "--note", "ombudsman closed it")
    assert code == 0, out
    code, out = dunwell(db_url, "complaints", "show", "1")
    assert code == 0 and "I never took this loan." in out and "Agreement enclosed." in out
    assert "Financial Ombudsman Service" in out and "ombudsman closed it" in out


def test_bad_complaint_input_exits_2(app: Dunwell, db_url: str) -> None:
    with app.uow() as uow:
        uow.borrowers.put(borrower_id=5, name="Person 5", jurisdiction=Jurisdiction.CN_NIFA,
                          timezone="Asia/Shanghai", language="en")
        uow.commit()
    code, out = dunwell(db_url, "complaints", "record", "5", "--category", "rude",
                        "--text", "x")
    assert code == 2 and "complaint_category_must_be_known" in out
    code, out = dunwell(db_url, "complaints", "answer", "9", "--text", "x")
    assert code == 2 and "complaint_must_exist" in out
    code, out = dunwell(db_url, "complaints", "list")
    assert code == 0 and "0 complaints" in out
