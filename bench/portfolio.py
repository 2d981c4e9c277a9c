"""A synthetic loan book for the COB benchmarks, built directly as columns.

A handful of template schedules per product and term (one per disbursement day,
from :func:`dunwell.lending.schedules.build_schedule` at a base principal) are tiled
over the book and scaled to each loan's principal, so a million loans cost a few
thousand schedule builds. The book stands at a business day with every loan closed
through the day before: most borrowers paid every instalment due, some paid ahead
(a few everything), and about one in eight stopped paying, so overdue instalments
carry late fees and penalty interest up to the product's cost cap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from dunwell.cob.batch import INST_COLUMNS, LOAN_COLUMNS, LoanBatch, from_columns
from dunwell.cob.model import CAP_YEAR_DAYS, PPM, CobParams
from dunwell.core.dates import to_day
from dunwell.lending.loans import InstallmentState, LoanState
from dunwell.lending.model import Bucket, LoanStatus, Product
from dunwell.lending.products import builtin_product_texts, load_product
from dunwell.lending.schedules import build_schedule

BUSINESS_DATE = dt.date(2025, 6, 16)
BASE_PRINCIPAL_MINOR = 1_000_000
CURRENCY = "CNY"
SHARE_DELINQUENT = 0.13  # stopped paying at some instalment already due
SHARE_PAID_AHEAD = 0.07  # paid instalments not yet due (a fifth of them: everything)
SHARE_PAST_MATURITY = 0.15  # of the delinquent: the whole schedule is already due

#: (product code, months, share of loans). Terms beyond a product's own range reuse
#: its COB parameters (penalty rate, cap, grace, late fee): COB reads nothing else.
VARIANTS: tuple[tuple[str, int, float], ...] = (
    ("merchant_annuity_12m", 12, 0.30),
    ("merchant_annuity_12m", 24, 0.05),
    ("consumer_equal_principal_6m", 6, 0.25),
    ("consumer_equal_principal_6m", 12, 0.05),
    ("inventory_interest_only_3m", 3, 0.15),
    ("shortterm_bullet_1m", 1, 0.20),
)


@dataclass
class Portfolio:
    batch: LoanBatch
    day: int  # the business day to close; every loan is closed through day - 1
    codes: list[str]  # product codes; product_index points into it
    product_index: np.ndarray[Any, Any]
    principal_minor: np.ndarray[Any, Any]
    disbursed_day: np.ndarray[Any, Any]
    params: dict[str, CobParams]

    def __len__(self) -> int:
        return len(self.batch)


def builtin_products() -> dict[str, Product]:
    products = (load_product(text) for text in builtin_product_texts())
    return {p.code: p for p in products}


@dataclass
class _Templates:
    offsets: np.ndarray[Any, Any]  # template k's instalments: [offsets[k], offsets[k+1])
    due_day: np.ndarray[Any, Any]
    start_day: np.ndarray[Any, Any]
    principal: np.ndarray[Any, Any]
    interest: np.ndarray[Any, Any]
    age_days: np.ndarray[Any, Any]  # business day minus disbursement day
    #: (variant, "current" | "late" | "past") -> template ids: any age within the term,
    #: within the term with an instalment already due, or past maturity
    pools: dict[tuple[int, str], np.ndarray[Any, Any]]


def _templates(products: dict[str, Product], day: int) -> _Templates:
    cols: dict[str, list[int]] = {"due": [], "start": [], "prin": [], "int": []}
    offsets: list[int] = [0]
    ages: list[int] = []
    pools: dict[tuple[int, str], np.ndarray[Any, Any]] = {}
    for v, (code, months, _share) in enumerate(VARIANTS):
        p = products[code]
        in_term = range(0, months * 28)  # the last instalment is still to come
        past = range(months * 31 + 1, months * 31 + 241)  # matured up to 8 months ago
        for kind, ages_of_pool in (("current", in_term), ("past", past)):
            ids, late = [], []
            for age in ages_of_pool:
                s = build_schedule(
                    principal_minor=BASE_PRINCIPAL_MINOR, currency=p.currency,
                    annual_rate=p.annual_rate, periods=months, method=p.method,
                    start=BUSINESS_DATE - dt.timedelta(days=age), day_count=p.day_count,
                    rounding=p.rounding)
                for inst in s.installments:
                    cols["due"].append(to_day(inst.due_date))
                    cols["start"].append(to_day(inst.period_start))
                    cols["prin"].append(inst.principal_minor)
                    cols["int"].append(inst.interest_minor)
                ids.append(len(ages))
                if to_day(s.installments[0].due_date) < day:
                    late.append(len(ages))
                ages.append(age)
                offsets.append(len(cols["due"]))
            pools[(v, kind)] = np.asarray(ids, dtype=np.int64)
            if kind == "current":
                pools[(v, "late")] = np.asarray(late, dtype=np.int64)
    a = {k: np.asarray(x, dtype=np.int64) for k, x in cols.items()}
    return _Templates(np.asarray(offsets, dtype=np.int64), a["due"], a["start"], a["prin"],
                      a["int"], np.asarray(ages, dtype=np.int64), pools)


def _per_loan_sum(values: np.ndarray[Any, Any], offsets: np.ndarray[Any, Any]) -> Any:
    return np.add.reduceat(values, offsets[:-1]) if values.size else np.zeros(0, np.int64)


@dataclass
class _Loans:
    """Who is who: each loan's variant, template, principal and behaviour."""

    variant: np.ndarray[Any, Any]
    template: np.ndarray[Any, Any]
    principal: np.ndarray[Any, Any]
    delinquent: np.ndarray[Any, Any]
    ahead: np.ndarray[Any, Any]


@dataclass
class _Instalments:
    """Every loan's instalments laid end to end, as scheduled and accrued."""

    offsets: np.ndarray[Any, Any]
    owner: np.ndarray[Any, Any]  # the loan of each instalment
    j: np.ndarray[Any, Any]  # the index of each instalment in its loan
    principal: np.ndarray[Any, Any]
    interest: np.ndarray[Any, Any]
    due: np.ndarray[Any, Any]
    start: np.ndarray[Any, Any]
    accrued: np.ndarray[Any, Any]
    disbursed: np.ndarray[Any, Any]  # per loan


@dataclass
class _Charges:
    """Fees, penalty and the cost cap on what was left unpaid."""

    fee: np.ndarray[Any, Any]
    paid_principal: np.ndarray[Any, Any]
    basis: np.ndarray[Any, Any]
    penalty: np.ndarray[Any, Any]
    exposure: np.ndarray[Any, Any]  # per loan
    charged: np.ndarray[Any, Any]  # per loan


def _who(rng: np.random.Generator, n_loans: int, tpl: _Templates) -> _Loans:
    """Each loan's variant, behaviour, template (its disbursement day) and principal."""
    shares = np.asarray([s for _, _, s in VARIANTS])
    variant = rng.choice(len(VARIANTS), size=n_loans, p=shares / shares.sum())
    u = rng.random(n_loans)
    delinquent = u < SHARE_DELINQUENT
    ahead = (u >= SHARE_DELINQUENT) & (u < SHARE_DELINQUENT + SHARE_PAID_AHEAD)
    kind = np.where(delinquent, "late", "current")
    kind[delinquent & (rng.random(n_loans) < SHARE_PAST_MATURITY)] = "past"
    for v in range(len(VARIANTS)):  # nothing falls due within a one-month term
        if tpl.pools[(v, "late")].size == 0:
            kind[(variant == v) & delinquent] = "past"
    tid = np.zeros(n_loans, dtype=np.int64)
    for (v, k), ids in tpl.pools.items():
        sel = np.flatnonzero((variant == v) & (kind == k))
        if not sel.size:
            continue
        tid[sel] = ids[rng.integers(0, ids.size, size=sel.size)]
    principal = rng.integers(1_000, 50_001, size=n_loans, dtype=np.int64) * 100
    return _Loans(variant, tid, principal, delinquent, ahead)


def _instalments(tpl: _Templates, loans: _Loans, day: int) -> _Instalments:
    """The template's rows, scaled to each loan's principal (sums stay exact), with the
    interest accrued through the day before ``day``."""
    tid, principal, n_loans = loans.template, loans.principal, loans.template.size
    counts = tpl.offsets[tid + 1] - tpl.offsets[tid]
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    owner = np.repeat(np.arange(n_loans, dtype=np.int64), counts)
    j = np.arange(int(offsets[-1]), dtype=np.int64) - offsets[owner]
    tpos = tpl.offsets[tid][owner] + j
    prin = tpl.principal[tpos] * principal[owner] // BASE_PRINCIPAL_MINOR
    prin[offsets[1:] - 1] += principal - _per_loan_sum(prin, offsets)
    interest = tpl.interest[tpos] * principal[owner] // BASE_PRINCIPAL_MINOR
    due, start = tpl.due_day[tpos], tpl.start_day[tpos]
    span = due - start
    elapsed = np.clip(day - 1 - start, 0, np.maximum(span, 1))
    accrued = np.where(span > 0, interest * elapsed // np.maximum(span, 1), interest)
    return _Instalments(offsets, owner, j, prin, interest, due, start, accrued,
                        day - tpl.age_days[tid])


def _paid(rng: np.random.Generator, tpl: _Templates, loans: _Loans, inst: _Instalments,
          day: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Which instalments were paid, and which half paid: every one due, some ahead,
    the delinquent's up to a point. Narrows ``loans.delinquent`` to loans owing any."""
    n_loans, owner, j = loans.template.size, inst.owner, inst.j
    n_due = _per_loan_sum((inst.due < day).astype(np.int64), inst.offsets)
    loans.delinquent &= n_due > 0
    loans.ahead &= tpl.age_days[loans.template] > 0
    k_ahead = np.where(rng.random(n_loans) < 0.2, 10_000, rng.integers(1, 3, size=n_loans))
    stop = np.where(rng.random(n_loans) < 0.5, n_due - 1,
                    (rng.random(n_loans) * np.maximum(n_due, 1)).astype(np.int64))
    paid_upto = np.where(loans.delinquent, stop,
                         np.where(loans.ahead, n_due + k_ahead, n_due))
    paid = j < paid_upto[owner]
    partial = ((j == paid_upto[owner]) & loans.delinquent[owner]
               & (rng.random(j.size) < 0.3)[owner])
    return paid, partial


def _charges(products: dict[str, Product], p_of: dict[str, np.ndarray[Any, Any]],
             pidx: np.ndarray[Any, Any], inst: _Instalments, paid: np.ndarray[Any, Any],
             partial: np.ndarray[Any, Any], day: int) -> _Charges:
    """Origination and late fees, penalty on instalments unpaid past their grace days,
    and the penalty cut back to what the cost cap leaves."""
    codes = sorted(products)
    owner, offsets, prin, last = inst.owner, inst.offsets, inst.principal, day - 1
    origination = np.asarray([products[c].fees.origination_minor for c in codes])
    grace = p_of["grace_days"][pidx]
    fee = np.where(inst.j == 0, origination[pidx][owner], 0).astype(np.int64)
    paid_prin = np.where(paid, prin, np.where(partial, prin // 2, 0))
    late_days = np.where(paid, 0, last - inst.due - grace[owner])
    fee += np.where(late_days >= 1, p_of["late_fee_minor"][pidx][owner], 0)
    basis = (prin - paid_prin) * np.maximum(late_days, 0)
    rate = p_of["penalty_rate_ppm"][pidx][owner]
    penalty = basis * rate // (p_of["penalty_year_days"][pidx][owner] * PPM)
    out_days = np.where(paid, np.minimum(inst.due, day), day) - inst.disbursed[owner]
    exposure = _per_loan_sum(prin * np.maximum(out_days, 0), offsets)
    allowance = exposure * p_of["cost_cap_ppm"][pidx] // (CAP_YEAR_DAYS * PPM)
    other = _per_loan_sum(inst.accrued + fee, offsets)
    pen_total = _per_loan_sum(penalty, offsets)
    pen_room = np.clip(allowance - other, 0, pen_total)
    penalty = np.where(pen_total[owner] > 0,
                       penalty * pen_room[owner] // np.maximum(pen_total[owner], 1), 0)
    charged = other + _per_loan_sum(penalty, offsets)
    return _Charges(fee, paid_prin, basis, penalty, exposure, charged)


def _standing(inst: _Instalments, paid: np.ndarray[Any, Any], grace: np.ndarray[Any, Any],
              age_days: np.ndarray[Any, Any],
              day: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any],
                                 np.ndarray[Any, Any]]:
    """Days past due, status and bucket as yesterday's close left them (fees and
    penalty are charged only on unpaid instalments)."""
    last = day - 1
    oldest = np.minimum.reduceat(np.where(~paid & (inst.due < last), inst.due,
                                          np.iinfo(np.int64).max), inst.offsets[:-1])
    dpd = np.where(oldest < last, last - oldest, 0)
    status = np.where(dpd > grace, LoanStatus.OVERDUE, LoanStatus.CURRENT)
    status = np.where(age_days == 0, LoanStatus.DISBURSED, status)
    bucket = np.where(dpd > 0, np.minimum((dpd - 1) // 30 + 1, 7), 0)
    return dpd, status, bucket


def build_portfolio(n_loans: int, *, seed: int = 7) -> Portfolio:
    """``n_loans`` open loans at :data:`BUSINESS_DATE`, as one columnar batch."""
    assert n_loans >= 1, "a portfolio needs at least one loan"
    rng = np.random.default_rng(seed)
    products = builtin_products()
    codes = sorted(products)
    params = {c: CobParams.of(p) for c, p in products.items()}
    day = to_day(BUSINESS_DATE)
    tpl = _templates(products, day)
    loans = _who(rng, n_loans, tpl)
    pidx = np.asarray([codes.index(c) for c, _, _ in VARIANTS], dtype=np.int8)[loans.variant]
    inst = _instalments(tpl, loans, day)
    paid, partial = _paid(rng, tpl, loans, inst, day)
    p_of = {f: np.asarray([getattr(params[c], f) for c in codes], dtype=np.int64)
            for f in ("penalty_rate_ppm", "cost_cap_ppm", "grace_days", "late_fee_minor",
                      "penalty_year_days")}
    ch = _charges(products, p_of, pidx, inst, paid, partial, day)
    dpd, status, bucket = _standing(inst, paid, p_of["grace_days"][pidx],
                                    tpl.age_days[loans.template], day)
    cols: dict[str, Any] = {
        "loan_id": np.arange(1, n_loans + 1, dtype=np.int64), "status": status,
        "days_past_due": dpd, "bucket": bucket, "charged_minor": ch.charged,
        "exposure_minor_days": ch.exposure, "last_cob_day": np.full(n_loans, day - 1),
        "offsets": inst.offsets, "due_day": inst.due, "accrual_start_day": inst.start,
        "principal_minor": inst.principal, "interest_minor": inst.interest,
        "interest_base_minor": np.zeros_like(inst.principal),
        "interest_accrued_minor": inst.accrued, "fee_minor": ch.fee,
        "penalty_minor": ch.penalty, "penalty_basis_minor_days": ch.basis,
        "paid_principal_minor": ch.paid_principal,
        "paid_interest_minor": np.where(paid | partial, inst.interest, 0),
        "paid_fee_minor": np.where(paid, ch.fee, 0),
        "paid_penalty_minor": np.zeros_like(inst.principal),
    }
    for f, per_product in p_of.items():
        cols[f] = per_product[pidx]
    return Portfolio(from_columns(cols), day, codes, pidx, loans.principal, inst.disbursed,
                     params)


def take_loans(batch: LoanBatch, loans: np.ndarray[Any, Any]) -> LoanBatch:
    """The given loans (positions, ascending) of ``batch`` as a batch of their own."""
    lo, hi = batch.offsets[loans], batch.offsets[loans + 1]
    counts = hi - lo
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    pos = np.repeat(lo, counts) + (np.arange(int(offsets[-1])) - np.repeat(offsets[:-1], counts))
    cols: dict[str, Any] = {n: getattr(batch, n)[loans] for n in LOAN_COLUMNS}
    cols.update({n: getattr(batch, n)[pos] for n in INST_COLUMNS})
    cols["offsets"] = offsets
    return from_columns(cols)


def head(batch: LoanBatch, n: int) -> LoanBatch:
    """The first ``n`` loans (a cheap slice, no gather)."""
    m = int(batch.offsets[n])
    cols: dict[str, Any] = {n_: getattr(batch, n_)[:n] for n_ in LOAN_COLUMNS}
    cols.update({n_: getattr(batch, n_)[:m] for n_ in INST_COLUMNS})
    cols["offsets"] = batch.offsets[: n + 1]
    return from_columns(cols)


def rows_from_batch(p: Portfolio, n: int) -> list[LoanState]:
    """The first ``n`` loans as row state (``LoanState``), for the row-by-row rules."""
    b = p.batch
    m = int(b.offsets[n])
    inst = {name: getattr(b, name)[:m].tolist() for name in INST_COLUMNS}
    loan = {name: getattr(b, name)[:n].tolist() for name in LOAN_COLUMNS}
    offs = b.offsets[: n + 1].tolist()
    pidx, prin, disb = (a[:n].tolist() for a in (p.product_index, p.principal_minor,
                                                 p.disbursed_day))
    rows = []
    for k in range(n):
        lo = offs[k]
        insts = tuple(InstallmentState(n=i - lo + 1, **{c: inst[c][i] for c in INST_COLUMNS})
                      for i in range(lo, offs[k + 1]))
        rows.append(LoanState(
            loan_id=loan["loan_id"][k], borrower_id=loan["loan_id"][k],
            product_code=p.codes[pidx[k]], currency=CURRENCY, principal_minor=prin[k],
            disbursed_day=disb[k], status=LoanStatus(loan["status"][k]), installments=insts,
            days_past_due=loan["days_past_due"][k], bucket=Bucket(loan["bucket"][k]),
            charged_minor=loan["charged_minor"][k],
            exposure_minor_days=loan["exposure_minor_days"][k],
            last_cob_day=loan["last_cob_day"][k]))
    return rows


def batches_equal(a: LoanBatch, b: LoanBatch) -> list[str]:
    """Names of the columns on which two batches differ (empty when equal)."""
    return [f.name for f in fields(LoanBatch)
            if not np.array_equal(getattr(a, f.name), getattr(b, f.name))]


def describe(p: Portfolio) -> dict[str, Any]:
    b = p.batch
    n = len(b)
    unpaid = ((b.principal_minor > b.paid_principal_minor)
              | (b.interest_minor > b.paid_interest_minor))
    due_later = b.due_day >= p.day
    ahead = np.logical_or.reduceat(~unpaid & due_later, b.offsets[:-1])
    return {
        "loans": n,
        "installments": b.installment_count,
        "installments_per_loan": round(b.installment_count / n, 2),
        "share_past_due": round(float((b.days_past_due > 0).mean()), 4),
        "share_overdue_beyond_grace": round(float((b.status == LoanStatus.OVERDUE).mean()), 4),
        "share_paid_ahead": round(float(ahead.mean()), 4),
        "share_with_penalty": round(float((np.add.reduceat(b.penalty_minor, b.offsets[:-1])
                                           > 0).mean()), 4),
        "buckets": {Bucket(k).label: int(v) for k, v in
                    enumerate(np.bincount(b.bucket, minlength=8))},
    }
