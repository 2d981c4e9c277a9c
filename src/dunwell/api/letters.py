"""Letter verification: anyone holding a letter can check it is genuine.

``GET /v1/letters/verify/{code}`` answers in JSON; ``GET /letters/verify/{code}`` is
the page a letter's QR code opens. Both say whether the code belongs to a letter the
lender issued and that letter is unaltered, with its number, kind, issue date, the
addressee's masked name and register status — never anything about the debt. A
mistyped, unknown or altered code is a clear "not genuine" answer with the reason,
not an error.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from dunwell.api.deps import ServicesDep
from dunwell.api.schemas import ERROR_RESPONSES
from dunwell.app.letters import verify_letter
from dunwell.channels.letters import LetterVerification

router = APIRouter(tags=["letters"], responses=ERROR_RESPONSES)

CodePath = Annotated[str, Path(
    max_length=64, description="The code printed on the letter, e.g. 7K3Q-MX9A-T2HC-RW4P")]


class LetterVerificationOut(BaseModel):
    genuine: bool = Field(description="True only for an issued, unaltered letter.")
    message: str
    code: str | None = None
    letter_no: str | None = None
    kind: str | None = None
    issued_on: dt.date | None = None
    borrower: str | None = Field(default=None, description="The addressee, masked.")
    status: str | None = Field(default=None, description="Register status: generated, "
                               "printed, dispatched, delivered or returned.")
    problem: str | None = Field(default=None, description="Why not genuine: empty, "
                                "bad_characters, wrong_length, check_failed (a typo), "
                                "unknown or altered.")


def _out(v: LetterVerification) -> LetterVerificationOut:
    return LetterVerificationOut(genuine=v.genuine, message=v.message, code=v.code,
                                 letter_no=v.letter_no, kind=v.kind, issued_on=v.issued_on,
                                 borrower=v.borrower, status=v.status, problem=v.problem)


@router.get("/v1/letters/verify/{code}", response_model=LetterVerificationOut)
async def get_letter_verification(code: CodePath, svc: ServicesDep) -> LetterVerificationOut:
    """Check a letter's verification code (200 whether or not it is genuine)."""
    return _out(await svc.run(lambda: verify_letter(svc.dunwell, code)))


@router.get("/letters/verify/{code}", response_class=HTMLResponse, include_in_schema=False)
async def letter_verification_page(code: CodePath, svc: ServicesDep) -> HTMLResponse:
    """The page a letter's QR code opens (Chinese and English)."""
    v = await svc.run(lambda: verify_letter(svc.dunwell, code))
    if v.genuine:
        verdict = "真实有效 · Genuine"
        rows = [("函件编号 · Letter", v.letter_no), ("类型 · Kind", v.kind),
                ("日期 · Issued", v.issued_on.isoformat() if v.issued_on else None),
                ("收件人 · To", v.borrower), ("状态 · Status", v.status)]
    else:
        verdict = "无法核实 · Not genuine"
        rows = [("原因 · Reason", v.message)]
    table = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(val))}</td></tr>"
                    for k, val in rows if val)
    body = (f"<!doctype html><html><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width'>"
            f"<title>Dunwell letter check</title></head><body>"
            f"<h1>{escape(verdict)}</h1><p>{escape(v.message)}</p><table>{table}</table>"
            f"</body></html>")
    return HTMLResponse(body, status_code=200)
