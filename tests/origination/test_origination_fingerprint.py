"""An application's fingerprint (what tells a replay from a conflicting reuse of its
key) is the digest of the same canonical text it always was: a record's kind written
as its text, whether the payload holds the enum member or its value."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from dunwell.app.origination.service import application_payload
from dunwell.core.ids import fingerprint
from dunwell.origination.model import (
    Applicant,
    ApplicantKind,
    Application,
    Purpose,
    Transaction,
    TransactionKind,
)

records = st.builds(Transaction, on=st.dates(dt.date(2000, 1, 1), dt.date(2199, 12, 31)),
                    amount_minor=st.integers(0, 10**15),
                    kind=st.sampled_from(list(TransactionKind)))
applications = st.builds(
    Application,
    applicant=st.builds(Applicant, kind=st.sampled_from(list(ApplicantKind)),
                        reference=st.text(max_size=8), name=st.text(max_size=8),
                        language=st.sampled_from(("en", "zh-CN"))),
    currency=st.sampled_from(("CNY", "USD")), requested_minor=st.integers(0, 10**12),
    term_months=st.integers(1, 36), purpose=st.sampled_from(list(Purpose)),
    monthly_income_minor=st.integers(0, 10**9), monthly_expenses_minor=st.integers(0, 10**9),
    existing_debt_payments_minor=st.integers(0, 10**9),
    transactions=st.lists(records, max_size=30).map(tuple),
    income_history_minor=st.lists(st.integers(0, 10**9), max_size=6).map(tuple))


def _as_written_before(a: Application) -> str:
    """The fingerprint as it was computed, every value written out plainly."""
    payload = {"applicant": [a.applicant.kind.value, a.applicant.reference, a.applicant.name,
                             a.applicant.language],
               "currency": a.currency, "requested_minor": a.requested_minor,
               "term_months": a.term_months, "purpose": a.purpose.value,
               "income_minor": a.monthly_income_minor,
               "expenses_minor": a.monthly_expenses_minor,
               "debt_payments_minor": a.existing_debt_payments_minor,
               "income_history_minor": list(a.income_history_minor),
               "transactions": [[t.on.toordinal(), t.amount_minor, t.kind.value]
                                for t in a.transactions]}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@settings(deadline=None, max_examples=200)
@given(application=applications)
def test_the_fingerprint_is_unchanged(application: Application) -> None:
    assert fingerprint(application_payload(application)) == _as_written_before(application)
