"""The guard honours consents: a third party only with one in force (US-RegF, UK-FCA),
never on consent alone in CN-NIFA; a withdrawn consent stops that channel in every
pack; an e-mail to a work address needs consent in US-RegF; scenarios carry them."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from dunwell.compliance import (
    Borrower,
    Channel,
    ContentTag,
    Decision,
    Flag,
    Jurisdiction,
    ProposedAction,
    Recipient,
    decide,
    parse_scenario,
)
from dunwell.compliance.consent import (
    Consent,
    ConsentSource,
    Purpose,
    consent_in_force,
    withdrawal,
)
from dunwell.compliance.model import Party
from dunwell.core.errors import InvalidInput

US, CN, UK = Jurisdiction.US_REGF, Jurisdiction.CN_NIFA, Jurisdiction.UK_FCA
ZONES = {US: "America/New_York", CN: "Asia/Shanghai", UK: "Europe/London"}
T = ContentTag


def at(text: str, j: Jurisdiction = US) -> dt.datetime:
    """A local wall-clock moment in the pack's home zone."""
    from zoneinfo import ZoneInfo

    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(ZONES[j]))


def consent(channel: Channel, party: Party = Party.BORROWER, *, granted: str = "2025-01-02T10:00",
            withdrawn: str | None = None, purpose: Purpose = Purpose.COLLECTIONS,
            j: Jurisdiction = US) -> Consent:
    return Consent(channel, party, purpose, at(granted, j),
                   None if withdrawn is None else at(withdrawn, j), ConsentSource.CALL, "rec-1")


def borrower(j: Jurisdiction, *consents: Consent, flags: frozenset[Flag] = frozenset()) -> Borrower:
    return Borrower(ZONES[j], flags=flags, consents=consents)


def reminder(channel: Channel, when: str, j: Jurisdiction = US, *,
             recipient: Recipient = Recipient.BORROWER, party: Party | None = None,
             tags: frozenset[ContentTag] = frozenset()) -> ProposedAction:
    base = {T.PAYMENT_REMINDER, T.OPT_OUT_NOTICE, T.PRIVATE_AND_CONFIDENTIAL}
    return ProposedAction(at(when, j), channel, recipient, frozenset(base | tags), party)


# --- third parties -----------------------------------------------------------------------

@pytest.mark.parametrize(("j", "rule"), [(US, "US-RegF-3P"), (UK, "UK-CONC-7.9.6R")])
def test_a_spouse_is_called_only_with_the_borrowers_consent_in_force(j: Jurisdiction,
                                                                      rule: str) -> None:
    call = reminder(Channel.CALL, "2025-03-04T11:00", j, recipient=Recipient.RELATIVE,
                    party=Party.SPOUSE)
    without = decide(call, [], borrower(j), j)
    assert (without.decision, without.rule) == (Decision.DENY, rule)
    assert "none is in force for spouse by call" in without.reason

    given = consent(Channel.CALL, Party.SPOUSE, j=j)
    assert decide(call, [], borrower(j, given), j).decision is Decision.ALLOW


def test_a_consent_covers_only_its_party_and_channel() -> None:
    spouse_calls = consent(Channel.CALL, Party.SPOUSE)
    b = borrower(US, spouse_calls)
    by_sms = reminder(Channel.SMS, "2025-03-04T11:00", recipient=Recipient.RELATIVE,
                      party=Party.SPOUSE)
    unnamed = reminder(Channel.CALL, "2025-03-04T11:00", recipient=Recipient.RELATIVE)
    employer = reminder(Channel.CALL, "2025-03-04T11:00", recipient=Recipient.EMPLOYER,
                        party=Party.EMPLOYER)
    for action in (by_sms, unnamed, employer):
        verdict = decide(action, [], b, US)
        assert (verdict.decision, verdict.rule) == (Decision.DENY, "US-RegF-3P")
    assert "names no party" in decide(unnamed, [], b, US).reason


def test_a_consent_counts_only_from_when_it_was_given() -> None:
    b = borrower(US, consent(Channel.CALL, Party.SPOUSE, granted="2025-03-05T09:00"))
    early = reminder(Channel.CALL, "2025-03-04T11:00", recipient=Recipient.RELATIVE,
                     party=Party.SPOUSE)
    later = reminder(Channel.CALL, "2025-03-05T11:00", recipient=Recipient.RELATIVE,
                     party=Party.SPOUSE)
    assert decide(early, [], b, US).rule == "US-RegF-3P"
    assert decide(later, [], b, US).decision is Decision.ALLOW


def test_in_china_a_consent_does_not_open_third_party_collection() -> None:
    call = reminder(Channel.CALL, "2025-03-04T11:00", CN, recipient=Recipient.RELATIVE,
                    party=Party.SPOUSE)
    verdict = decide(call, [], borrower(CN, consent(Channel.CALL, Party.SPOUSE, j=CN)), CN)
    assert (verdict.decision, verdict.rule) == (Decision.DENY, "CN-3P")


def test_a_servicing_consent_does_not_cover_collecting_contact() -> None:
    servicing = consent(Channel.CALL, Party.SPOUSE, purpose=Purpose.SERVICING)
    call = reminder(Channel.CALL, "2025-03-04T11:00", recipient=Recipient.RELATIVE,
                    party=Party.SPOUSE)
    assert decide(call, [], borrower(US, servicing), US).rule == "US-RegF-3P"
    confirmation = ProposedAction(at("2025-03-04T11:00"), Channel.CALL, Recipient.RELATIVE,
                                  frozenset({T.PLAN_CONFIRMATION}), Party.SPOUSE)
    assert decide(confirmation, [], borrower(US, servicing), US).decision is Decision.ALLOW


def test_a_party_must_be_one_the_recipient_can_be() -> None:
    with pytest.raises(InvalidInput) as caught:
        ProposedAction(at("2025-03-04T11:00"), Channel.CALL, Recipient.NEIGHBOR,
                       party=Party.SPOUSE)
    assert caught.value.code == "party_must_match_recipient"


# --- withdrawn consent -------------------------------------------------------------------

@pytest.mark.parametrize("j", [US, CN, UK])
def test_a_withdrawn_sms_consent_stops_sms_but_not_calls(j: Jurisdiction) -> None:
    b = borrower(j, consent(Channel.SMS, withdrawn="2025-03-01T12:00", j=j))
    sms = reminder(Channel.SMS, "2025-03-04T11:00", j)
    verdict = decide(sms, [], b, j)
    assert (verdict.decision, verdict.rule) == (Decision.DENY, "CONSENT-WITHDRAWN")
    assert "withdrawn on 2025-03-01" in verdict.reason
    before = reminder(Channel.SMS, "2025-03-01T11:00", j)
    assert decide(before, [], b, j).rule != "CONSENT-WITHDRAWN"
    assert decide(reminder(Channel.CALL, "2025-03-04T11:00", j), [], b, j).allowed


def test_a_new_consent_after_a_withdrawal_opens_the_channel_again() -> None:
    b = borrower(US, consent(Channel.SMS, withdrawn="2025-03-01T12:00"),
                 consent(Channel.SMS, granted="2025-03-03T09:00"))
    assert decide(reminder(Channel.SMS, "2025-03-04T11:00"), [], b, US).allowed
    assert decide(reminder(Channel.SMS, "2025-03-02T11:00"), [], b, US).rule == (
        "CONSENT-WITHDRAWN")


def test_no_consent_record_at_all_stops_nothing() -> None:
    assert decide(reminder(Channel.SMS, "2025-03-04T11:00"), [], borrower(US), US).allowed


def test_withdrawing_servicing_messages_leaves_collections_alone() -> None:
    b = borrower(UK, consent(Channel.EMAIL, purpose=Purpose.SERVICING,
                             withdrawn="2025-03-01T12:00", j=UK))
    collecting = reminder(Channel.EMAIL, "2025-03-04T11:00", UK)
    assert decide(collecting, [], b, UK).allowed
    receipt = ProposedAction(at("2025-03-04T11:00", UK), Channel.EMAIL,
                             content_tags=frozenset({T.PLAN_CONFIRMATION}))
    assert decide(receipt, [], b, UK).rule == "CONSENT-WITHDRAWN"


def test_a_withdrawn_emergency_contact_agreement_stops_the_emergency_call() -> None:
    tags = frozenset({T.PRE_AGREED_EMERGENCY_CONTACT, T.NO_DEBT_DETAILS, T.REQUEST_RELAY_MESSAGE})
    call = ProposedAction(at("2025-03-04T11:00", CN), Channel.CALL, Recipient.RELATIVE, tags)
    lost = frozenset({Flag.LOST_CONTACT})
    assert decide(call, [], borrower(CN, flags=lost), CN).allowed
    gone = consent(Channel.CALL, Party.EMERGENCY_CONTACT, withdrawn="2025-03-01T12:00", j=CN)
    verdict = decide(call, [], borrower(CN, gone, flags=lost), CN)
    assert (verdict.decision, verdict.rule) == (Decision.DENY, "CONSENT-WITHDRAWN")
    assert "emergency contact" in verdict.reason


# --- work e-mail -------------------------------------------------------------------------

def test_us_email_to_a_work_address_needs_consent_to_email() -> None:
    mail = reminder(Channel.EMAIL, "2025-03-04T11:00", tags=frozenset({T.WORK_ADDRESS}))
    verdict = decide(mail, [], borrower(US), US)
    assert (verdict.decision, verdict.rule) == (Decision.DENY, "US-RegF-WORK-EMAIL")
    assert decide(mail, [], borrower(US, consent(Channel.EMAIL)), US).allowed
    assert decide(reminder(Channel.EMAIL, "2025-03-04T11:00"), [], borrower(US), US).allowed


# --- the pure lookups --------------------------------------------------------------------

def test_in_force_and_withdrawal_read_the_moment_they_are_asked_about() -> None:
    given = consent(Channel.SMS, withdrawn="2025-03-01T12:00")
    kw: dict[str, Any] = {"party": Party.BORROWER, "channel": Channel.SMS,
                          "purpose": Purpose.COLLECTIONS}
    assert consent_in_force([given], at=at("2025-03-01T11:59:59"), **kw) == given
    assert consent_in_force([given], at=at("2025-03-01T12:00"), **kw) is None
    assert withdrawal([given], at=at("2025-03-01T11:59:59"), **kw) is None
    assert withdrawal([given], at=at("2025-03-01T12:00"), **kw) == given


def test_a_withdrawal_before_the_grant_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        consent(Channel.SMS, granted="2025-03-02T10:00", withdrawn="2025-03-01T10:00")
    assert caught.value.code == "consent_withdrawal_must_follow_grant"


# --- scenarios ---------------------------------------------------------------------------

def scenario(**extra: Any) -> dict[str, Any]:
    return {
        "id": "c1", "jurisdiction": "US-RegF",
        "borrower": {"timezone": "America/New_York"},
        "proposed_action": {"ts": "2025-03-04T11:00:00-05:00", "channel": "call",
                            "recipient": "relative", "party": "spouse",
                            "content_tags": ["payment_reminder"]},
        **extra,
    }


def test_a_scenario_carries_consents_and_the_actions_party() -> None:
    data = scenario()
    data["borrower"]["consents"] = [{"channel": "call", "party": "spouse",
                                     "granted_at": "2025-01-02T10:00:00-05:00",
                                     "source": "call", "evidence": "rec-7"}]
    parsed = parse_scenario(json.dumps(data))
    assert parsed.action.party is Party.SPOUSE
    (only,) = parsed.borrower.consents
    assert (only.party, only.purpose, only.source) == (Party.SPOUSE, Purpose.COLLECTIONS,
                                                        ConsentSource.CALL)
    assert decide(parsed.action, parsed.history, parsed.borrower, parsed.jurisdiction).allowed
    del data["borrower"]["consents"]
    plain = parse_scenario(json.dumps(data))
    assert decide(plain.action, plain.history, plain.borrower, plain.jurisdiction).rule == (
        "US-RegF-3P")


@pytest.mark.parametrize(("consent_record", "field", "code"), [
    ({"channel": "call", "party": "cousin", "granted_at": "2025-01-02T10:00:00Z"},
     "borrower.consents[0].party", "party_must_be_known"),
    ({"channel": "call"}, "borrower.consents[0].granted_at", "field_must_be_present"),
    ({"channel": "call", "granted_at": "2025-01-02T10:00:00Z",
      "withdrawn_at": "2025-01-01T10:00:00Z"},
     "borrower.consents[0]", "consent_withdrawal_must_follow_grant"),
])
def test_a_bad_consent_in_a_scenario_names_its_field(consent_record: dict[str, Any], field: str,
                                                     code: str) -> None:
    data = scenario()
    data["borrower"]["consents"] = [consent_record]
    with pytest.raises(InvalidInput) as caught:
        parse_scenario(json.dumps(data))
    assert (caught.value.details["field"], caught.value.code) == (field, code)
    assert caught.value.details["scenario_id"] == "c1"
