"""The words of DESIGN.md §4 that collections speaks: channels, borrower flags and
content tags. A strategy naming anything outside these sets is rejected when loaded,
so a typo never reaches the compliance guard as an unknown word."""

from __future__ import annotations

from typing import Final

CHANNELS: Final = frozenset(
    {"call", "sms", "email", "letter", "visit", "in_app", "social_media", "third_party_call"}
)

FLAGS: Final = frozenset({
    "cease_contact", "disputed", "hardship_plan", "vulnerable", "bankruptcy", "deceased",
    "breathing_space", "time_barred", "attorney_represented", "employer_prohibits_contact",
    "lost_contact", "opt_out_sms", "opt_out_email", "opt_out_call", "opt_out_visit",
})  # fmt: skip

CONTENT_TAGS: Final = frozenset({
    "payment_reminder", "payment_request", "reminder_letter", "settlement_offer",
    "instalment_plan", "plan_confirmation", "interest_frozen", "fee_added", "opt_out_notice",
    "notice_collection_terminated", "signpost_free_debt_advice", "prior_notice",
    "private_and_confidential", "debt_disclosure", "no_debt_details",
    "request_relay_message", "pre_agreed_emergency_contact", "public_post",
    "public_exposure", "threat", "threat_of_suit", "fake_legal", "pressure",
    "demand_full_balance_48h", "suggest_borrow_to_repay", "no_deadline_pressure",
    "staff_certified", "audio_video_recording", "no_recording",
})  # fmt: skip

#: Tags that ask the borrower for money; such steps wait while a promise is pending.
PAYMENT_TAGS: Final = frozenset(
    {"payment_reminder", "payment_request", "reminder_letter", "settlement_offer",
     "demand_full_balance_48h"}
)  # fmt: skip

#: History outcomes that count as having reached the borrower (for ``no_contact_days``).
CONTACT_OUTCOMES: Final = frozenset({"conversation", "promise_to_pay"})

RECIPIENT_BORROWER: Final = "borrower"
