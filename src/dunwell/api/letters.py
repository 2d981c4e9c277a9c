"""Letter verification: anyone holding a letter can check it is genuine.

``GET /v1/letters/verify/{code}`` answers in JSON; ``GET /letters/verify`` is the page
a letter names, where the code is typed in (``?code=`` shows the answer), and
``GET /letters/verify/{code}`` the page its QR code opens. Each says whether the code
belongs to a letter the lender issued and that letter is unaltered, with its number,
kind, issue date, the addressee's masked name and register status — never anything
about the debt. A
mistyped, unknown or altered code is a clear "not genuine" answer with the reason,
not an error. The education guides the reminder letter points to are pages here too:
``GET /portal/learn`` and ``GET /portal/learn/{topic}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, Field

from dunwell.api.deps import Services, ServicesDep
from dunwell.api.schemas import ERROR_RESPONSES
from dunwell.app.channels.notices import education_guide
from dunwell.app.letters.sender import lender_name
from dunwell.app.letters.service import verify_letter
from dunwell.channels.letters import LetterVerification
from dunwell.channels.rules import EDUCATION_TITLES, EDUCATION_TOPICS
from dunwell.settings import Settings

router = APIRouter(tags=["letters"], responses=ERROR_RESPONSES)
pages = Environment(loader=PackageLoader("dunwell.api", "templates"),
                    autoescape=select_autoescape(["html"]), auto_reload=False)

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


KIND_LABELS = {"reminder": "逾期还款提醒函 · Reminder", "visit_notice":
               "上门拜访预先告知函 · Notice of a possible visit",
               "demand": "还款催告函 · Formal demand for payment"}
TOPIC_LABELS = tuple((topic, EDUCATION_TITLES[topic]["zh-CN"], EDUCATION_TITLES[topic]["en"])
                     for topic in EDUCATION_TOPICS)
CodeQuery = Annotated[str | None, Query(max_length=64, description="The code on the letter.")]


def _page(name: str, settings: Settings, **context: Any) -> HTMLResponse:
    common = {"lender_zh": lender_name(settings, "zh-CN"), "lender_en": lender_name(settings, "en"),
              "phone": settings.lender_phone.strip() or settings.support_contact}
    return HTMLResponse(pages.get_template(name).render(**common, **context), status_code=200)


async def _verification_page(svc: Services, code: str | None) -> HTMLResponse:
    result = None
    if code is not None:
        result = await svc.run(lambda: verify_letter(svc.dunwell, code))
    kind = result.kind if result is not None and result.kind else ""
    return _page("letters_verify.html", svc.dunwell.settings,
                 title="核实信函 · Check a letter", result=result, code=code or "",
                 kind_label=KIND_LABELS.get(kind, kind))


@router.get("/letters/verify", response_class=HTMLResponse, include_in_schema=False)
async def letter_verification_form(svc: ServicesDep, code: CodeQuery = None) -> HTMLResponse:
    """The page a letter names: a form to type the code in (Chinese and English); with
    ``?code=`` it shows the answer above the form."""
    return await _verification_page(svc, code)


@router.get("/letters/verify/{code}", response_class=HTMLResponse, include_in_schema=False)
async def letter_verification_page(code: CodePath, svc: ServicesDep) -> HTMLResponse:
    """The page a letter's QR code opens: the answer, and the form to check another."""
    return await _verification_page(svc, code)


@router.get("/portal/learn", response_class=HTMLResponse, include_in_schema=False)
async def learn_index(svc: ServicesDep) -> HTMLResponse:
    """The education guides the reminder letter points to."""
    return _page("portal_learn.html", svc.dunwell.settings,
                 title="帮助与知识 · Help and information", guides=[], topics=TOPIC_LABELS)


@router.get("/portal/learn/{topic}", response_class=HTMLResponse, include_in_schema=False)
async def learn_topic(topic: Annotated[str, Path(max_length=40)], svc: ServicesDep,
                      lang: Annotated[str | None, Query(max_length=16)] = None,
                      region: Annotated[str, Query(max_length=4)] = "CN") -> HTMLResponse:
    """One guide, in Chinese then English (or only ``lang``); the rights guide names the
    complaint routes of ``region`` (CN, US or UK)."""
    settings = svc.dunwell.settings
    languages = [lang] if lang else ["zh-CN", "en"]
    templates = svc.dunwell.providers.templates()
    guides = [education_guide(settings, templates=templates, topic=topic, language=x,
                              region=region.upper())
              for x in languages]
    return _page("portal_learn.html", settings, title=guides[0].title, guides=guides,
                 topics=TOPIC_LABELS, lang=guides[0].language)
