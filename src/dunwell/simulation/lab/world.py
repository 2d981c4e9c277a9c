"""The borrowers' world, day by day: shocks and recovery, the pressure each contact
adds and how it fades, and how a borrower answers each action.

Pure NumPy state over the population (one slot per borrower index); every draw comes
from :func:`population.uniforms`, keyed by (seed, borrower, purpose, day), so the same
borrower meets the same shocks under every strategy. The runner asks it questions
("who pays today, and how much?", "what happens on this call?") and writes the answers
into the book through the real services.

The model (parameters in ``parameters.toml``, explained in docs/simulation.md):

* **Ability** — 1 normally; during a shock (illness, family emergency, or for merchants
  a business downturn) the shock's share of cash flow. Shocks start with a daily hazard
  and last an exponential time with the parameter's mean.
* **Pressure** — each contact that reaches the borrower adds its weight; pressure
  halves every ``half_life_days``. Above ``tolerance`` it raises the complaint hazard,
  lowers the day's chance of paying (reactance) and slowly erodes willingness.
* **Engagement** — contacts today raise the day's hazard of paying: an SMS a little (only
  the first in a week), a conversation or a visit a lot, a letter in between.
* **Promises** — a conversation or a visit may end in a promise to pay within a few
  days; a promise is kept (paid in full by its date) with ``response.promise_kept``,
  drawn when it is made; a broken one leaves the borrower on the ordinary hazard.
* **Help** — a borrower in a shock who is offered help (a visit, a call that gets
  through, a hardship outreach or a plan offer) discloses it with some probability; a
  plan whose instalment fits the borrower's cash flow is kept far more often.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dunwell.simulation.lab.params import Parameters
from dunwell.simulation.lab.population import STORY_COURT, STORY_PLAN, Population, uniform, uniforms

SHOCKS = ("none", "illness", "family_emergency", "business_downturn")
#: Days of quiet after which an SMS counts as "first" again (extra reminders add ~0).
SMS_FRESH_DAYS = 7
#: The planted family emergency: days before the first due date it starts, and its length.
STORY_SHOCK_LEAD_DAYS = 8
STORY_SHOCK_DAYS = 150
#: Days from a plan instalment's due date on which a borrower who keeps it pays.
PLAN_PAY_DAYS = 3
#: Days a promise to pay runs: made on a call, and on a visit.
PROMISE_DAYS_CALL = 3
PROMISE_DAYS_VISIT = 7


@dataclass(frozen=True, slots=True)
class Answer:
    """A borrower's side of one contact."""

    outcome: str  # the contact outcome recorded in the book
    reached: bool  # the borrower heard it
    promise: bool = False
    hardship: bool = False
    promise_days: int = 0  # the promise's due date, in days from today


class World:
    """The population's state, advanced one business day at a time."""

    def __init__(self, pop: Population, params: Parameters, *, first_due_day: int = 30):
        self.pop, self.p, n = pop, params, pop.size
        self.seed = pop.seed
        self.idx = np.arange(n, dtype=np.int64)
        self.day = -1
        self.shock = np.zeros(n, dtype=np.int8)
        self.shock_until = np.zeros(n, dtype=np.int64)
        self.shock_started = np.full(n, -1, dtype=np.int64)
        self.pressure = np.zeros(n, dtype=np.float64)
        self.willingness = pop.willingness.copy()
        self.engagement = np.zeros(n, dtype=np.float64)
        self.last_sms = np.full(n, -10_000, dtype=np.int64)
        self.last_reminder = np.full(n, -10_000, dtype=np.int64)
        self.plan_fit = np.full(n, -1, dtype=np.int8)  # -1 no plan, 0 unfit, 1 fit
        self.disclosed = np.zeros(n, dtype=np.bool_)  # the current shock was told
        self.sued = np.zeros(n, dtype=np.bool_)
        self.complaints = np.zeros(n, dtype=np.int64)
        self.promise_due = np.full(n, -1, dtype=np.int64)  # day a kept promise is paid by
        self.first_due_day = first_due_day
        self._ability = np.array(
            [
                1.0,
                params["shocks.illness_ability"],
                params["shocks.family_emergency_ability"],
                params["shocks.downturn_ability"],
            ]
        )
        self._hazard = np.array(
            [
                0.0,
                params["shocks.illness_hazard"],
                params["shocks.family_emergency_hazard"],
                params["shocks.downturn_hazard"],
            ]
        )
        self._days = np.array(
            [
                1.0,
                params["shocks.illness_days"],
                params["shocks.family_emergency_days"],
                params["shocks.downturn_days"],
            ]
        )
        self._decay = 0.5 ** (1.0 / params["pressure.half_life_days"])

    # --- daily state ------------------------------------------------------------------
    @property
    def ability(self) -> NDArray[np.float64]:
        return np.asarray(self._ability[self.shock], dtype=np.float64)

    def advance(self, day: int) -> None:
        """Move to ``day`` (days since the start): recoveries, new shocks, pressure
        fading, willingness eroded by pressure above tolerance; today's engagement
        starts at zero."""
        p = self.p
        self.day = day
        self.engagement[:] = 0.0
        self.pressure *= self._decay
        excess = np.maximum(0.0, self.pressure - p["pressure.tolerance"])
        self.willingness = np.maximum(
            0.0, self.willingness - p["pressure.willingness_erosion"] * excess
        )
        over = (self.shock > 0) & (self.shock_until <= day)
        self.shock[over] = 0
        self.disclosed[over] = False
        well = self.shock == 0
        u = uniforms(self.seed, self.idx, "shock", day)
        kind = uniforms(self.seed, self.idx, "shock_kind", day)
        length = uniforms(self.seed, self.idx, "shock_len", day)
        hazards = self._hazard.copy()
        total = np.where(
            self.pop.merchant, hazards[1] + hazards[2] + hazards[3], hazards[1] + hazards[2]
        )
        hit = well & (u < total)
        share = kind * total
        which = np.where(share < hazards[1], 1, np.where(share < hazards[1] + hazards[2], 2, 3))
        which = which.astype(np.int8)
        mean_days = self._days[which]
        self.shock[hit] = which[hit]
        self.shock_started[hit] = day
        self.shock_until[hit] = day + np.ceil(
            -np.log(np.maximum(length[hit], 1e-9)) * mean_days[hit]
        ).astype(np.int64)
        self._plant(day)

    def _plant(self, day: int) -> None:
        """The story borrower's family emergency, a week before the first due date."""
        i = STORY_PLAN
        if i < self.pop.size and day == max(0, self.first_due_day - STORY_SHOCK_LEAD_DAYS):
            self.shock[i] = 2
            self.shock_started[i] = day
            self.shock_until[i] = day + STORY_SHOCK_DAYS
            self.disclosed[i] = False

    # --- answers to contacts ------------------------------------------------------------
    def _draw(self, i: int, purpose: str) -> float:
        return uniform(self.seed, i, purpose, self.day)

    def _press(self, i: int, weight_key: str) -> None:
        self.pressure[i] += self.p.weight("pressure.weights", weight_key)

    def _offer_help(self, i: int, purpose: str, boost: float = 1.0) -> bool:
        """A borrower in a shock, offered help, discloses it (at most once per shock)."""
        if (
            self.shock[i] == 0
            or self.disclosed[i]
            or self.willingness[i] < self.p["payment.unwilling_threshold"]
        ):
            return False
        share = min(1.0, self.p["response.hardship_disclosure"] * boost)
        if i == STORY_PLAN and purpose == "visit":
            share = 1.0
        if self._draw(i, f"disclose:{purpose}") < share:
            self.disclosed[i] = True
            return True
        return False

    def message(self, i: int, channel: str, kind: str, *, dpd: int) -> Answer:
        """An SMS, in-app message, e-mail or letter. Reminders before the due date are
        remembered (they lift on-time payment); help messages add no pressure."""
        if kind in ("education", "hardship_outreach", "negotiation_offer"):
            self._press(i, "help")
            hardship = self._offer_help(i, kind)
            return Answer("delivered", True, hardship=hardship)
        if dpd <= 0:
            self.last_reminder[i] = self.day
        if channel == "letter":
            self._press(i, "letter")
            self.engagement[i] = max(self.engagement[i], self.p["response.letter_uplift"])
            return Answer("delivered", True)
        key = "in_app" if channel == "in_app" else "sms"
        self._press(i, key)
        if self.day - self.last_sms[i] >= SMS_FRESH_DAYS:
            self.engagement[i] = max(self.engagement[i], self.p["response.sms_uplift"])
        self.last_sms[i] = self.day
        return Answer("delivered", True)

    def call(self, i: int, kind: str, *, dpd: int, attempt: int = 0) -> Answer:
        """A call: answered with the borrower's reach; a conversation lifts the day's
        payment hazard, may end in a promise, or in a disclosed hardship."""
        if self._draw(i, f"call:{attempt}") >= self.pop.reach[i]:
            self._press(i, "call_attempt")
            return Answer("no_answer", False)
        self._press(i, "call")
        self.engagement[i] = max(self.engagement[i], self.p["response.call_uplift"])
        if self._offer_help(i, "call", 0.7 if kind != "hardship_outreach" else 1.0):
            return Answer("conversation", True, hardship=True)
        if (
            dpd > 0
            and self.willingness[i] >= self.p["payment.unwilling_threshold"]
            and self._draw(i, f"promise:{attempt}") < self.p["response.promise_share"]
        ):
            return self._promise(i, PROMISE_DAYS_CALL, f"call:{attempt}")
        return Answer("conversation", True)

    def visit(self, i: int) -> Answer:
        """A field visit: the borrower is in or not; in, they may refuse (unwilling),
        disclose a hardship, promise, or simply take the letter."""
        if self._draw(i, "visit_home") >= self.pop.home[i]:
            return Answer("not_at_home", False)
        self._press(i, "visit")
        if self.willingness[i] < self.p["payment.unwilling_threshold"]:
            return Answer("refused", True)
        self.engagement[i] = max(self.engagement[i], self.p["response.visit_uplift"])
        if self._offer_help(i, "visit", 1.3):
            return Answer("hardship_reported", True, hardship=True)
        if self._draw(i, "visit_promise") < self.p["response.promise_share"]:
            return self._promise(i, PROMISE_DAYS_VISIT, "visit")
        return Answer("delivered_in_person", True)

    def _promise(self, i: int, days: int, purpose: str) -> Answer:
        """A promise to pay within ``days``: whether it will be kept is drawn now (a
        borrower in a shock keeps it only with what they can pay)."""
        if self._draw(i, f"promise_kept:{purpose}") < self.p["response.promise_kept"]:
            self.promise_due[i] = self.day + days
        else:
            self.promise_due[i] = -1
        return Answer("promise_to_pay", True, promise=True, promise_days=days)

    def legal(self, i: int) -> None:
        """A claim filed: heavy pressure; able borrowers may settle."""
        self._press(i, "legal")
        self.sued[i] = True

    def budget_minor(self, i: int) -> int:
        """What the borrower can spare each month now (cash flow x ability, less living
        costs as a share): the hardship budget they declare."""
        return int(self.pop.income_minor[i] * float(self._ability[self.shock[i]]))

    def take_plan(self, i: int, instalment_minor: int) -> None:
        """A plan agreed: does its instalment fit what the borrower can pay?"""
        capacity = self.budget_minor(i) * 0.5
        self.plan_fit[i] = 1 if instalment_minor <= capacity else 0

    # --- payments -----------------------------------------------------------------------
    def pay_share(self, i: int, *, dpd: int, in_plan: bool) -> float:
        """The share of what is owed the borrower pays today (0 = nothing)."""
        p = self.p
        will = float(self.willingness[i])
        ability = float(self._ability[self.shock[i]])
        u = self._draw(i, "pay")
        if in_plan and self.plan_fit[i] >= 0:
            keep = (
                p["response.plan_keep_fit"]
                if self.plan_fit[i] == 1
                else p["response.plan_keep_unfit"]
            )
            if i == STORY_PLAN and self.plan_fit[i] == 1:
                keep = 1.0  # the planted story: the plan that fits is kept
            # kept = paid on one of the plan's first three days: 1-(1-q)^3 = keep
            daily = 1.0 - (1.0 - keep) ** (1 / PLAN_PAY_DAYS)
            return 1.0 if dpd < PLAN_PAY_DAYS and u < daily else 0.0
        if will < p["payment.unwilling_threshold"]:
            if self.sued[i] and i != STORY_COURT and u < p["legal.settle_share"] / 30:
                return 1.0
            return 0.0
        if dpd <= 0:
            if ability < 1.0:
                return ability if u < ability else 0.0
            miss = p["payment.miss_due"]
            if self.day - self.last_reminder[i] <= 5:
                miss *= max(0.0, 1.0 - p["payment.reminder_uplift"])
            return 0.0 if u < miss else 1.0
        if self.promise_due[i] >= 0 and self.day >= self.promise_due[i]:
            kept = self.day == self.promise_due[i]  # later: a promise of an earlier arrear
            self.promise_due[i] = -1
            if kept:  # a kept promise is paid on its date at the latest
                return 1.0 if ability >= 1.0 else ability
        excess = max(0.0, float(self.pressure[i]) - p["pressure.tolerance"])
        hazard = p["payment.cure_hazard"] * (1.0 + float(self.engagement[i]))
        hazard *= math.exp(-p["pressure.reactance"] * excess) * will
        if ability < 1.0:
            return ability if u < hazard * ability * 2 else 0.0
        if dpd <= 5:
            hazard = max(hazard, p["payment.self_cure_share"] / 5)
        return 1.0 if u < hazard else 0.0

    # --- complaints ---------------------------------------------------------------------
    def complainers(self) -> NDArray[np.int64]:
        """Borrowers who complain today: a small base hazard plus a hazard that grows
        with pressure above the tolerance."""
        p = self.p
        excess = np.maximum(0.0, self.pressure - p["pressure.tolerance"])
        hazard = p["pressure.complaint_base"] + p["pressure.complaint_rate"] * excess
        u = uniforms(self.seed, self.idx, "complain", self.day)
        who = np.nonzero(u < hazard)[0]
        self.complaints[who] += 1
        return who.astype(np.int64)

    def complaint_category(self, i: int) -> str:
        excess = float(self.pressure[i]) - self.p["pressure.tolerance"]
        if excess <= 0:
            return "fees_and_charges"
        return "contact_frequency" if self._draw(i, "category") < 0.7 else "conduct"
