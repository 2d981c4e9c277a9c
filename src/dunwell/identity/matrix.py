"""The role × route matrix: who may call each route, by default nobody.

Every route the application serves is keyed by its method and its path template as
FastAPI declares it (``("GET", "/v1/loans/{loan_id}")``); ``HEAD`` is looked up as
``GET``. A rule is a set of roles (a signed-in user with one of them may call it),
:data:`PUBLIC` (anyone, signed in or not) or :data:`SIGNED` (a provider's callback,
which proves itself with a signature the route checks, not with a user). A route not
in the matrix is refused to everyone (403): adding a route means adding its line here
(``docs/security/identity.md`` says how), and the matrix test fails until it is.

The matrix decides which *kinds* of user reach a route; which loans, cases, visits or
letters they then see, and how much they may approve, are the object rules and
authority limits the route applies (``identity.objects``, ``identity.authority``).
Least privilege throughout: a role reaches a route when its daily work needs it.

- **borrower**: their own account: loans, payments, credit lines, hardship and
  offers, the portal's pages;
- **collector**: the cases assigned to them: the loans and payments behind them,
  hardship recorded on a call, offers within their authority;
- **field_agent**: the day's visits assigned to them and their outcomes, offers and
  acceptances made on a visit;
- **team_lead**: their team's work: case and visit assignment, legal proposals,
  quality reviews, complaints about conduct;
- **manager**: operations: origination, drawdowns, payments and reversals, approvals
  within authority, the staff register;
- **risk_analyst**: the front door's monitoring and decisions, and offers for the
  risk committee (the largest waivers);
- **compliance_officer**: oversight: reads of loans, cases, decisions and legal
  cases; training certificates, suspensions, reviews;
- **legal_counsel**: legal referrals (approve or reject), legal case steps and their
  costs, evidence bundles;
- **admin**: users, roles and tokens (the ``dunwell user`` and ``token`` commands) and
  the staff register; no borrower's data.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from dunwell.identity.model import STAFF_ROLES, Principal, Role


class Open(StrEnum):
    """A rule that needs no signed-in user."""

    #: Anyone: the API's documentation, letter checks, education pages, sign-in.
    PUBLIC = "public"
    #: A provider's callback, authenticated by its signature (HMAC) in the route.
    SIGNED = "signed"


PUBLIC: Final = Open.PUBLIC
SIGNED: Final = Open.SIGNED

#: A route's rule: the roles that may call it, or an open rule.
Rule = frozenset[Role] | Open


class Decision(StrEnum):
    """The guard's answer for one request."""

    ALLOW = "allow"
    #: Nobody is signed in and the route needs someone (HTTP 401).
    SIGN_IN = "sign_in"
    #: The signed-in role may not call the route, or the route is not in the matrix
    #: (HTTP 403).
    DENY = "deny"


def roles(*wanted: Role) -> frozenset[Role]:
    return frozenset(wanted)


B, C, F = Role.BORROWER, Role.COLLECTOR, Role.FIELD_AGENT
TL, M, RA = Role.TEAM_LEAD, Role.MANAGER, Role.RISK_ANALYST
CO, LC, AD = Role.COMPLIANCE_OFFICER, Role.LEGAL_COUNSEL, Role.ADMIN

#: Anyone signed in, whatever the role.
SIGNED_IN: Final = frozenset(Role)
#: Every member of staff (not borrowers).
STAFF: Final = STAFF_ROLES
#: Who reads a loan or a case's offers: the borrower, the staff working the case,
#: and oversight (compliance, legal). Risk analysts and admins work on aggregates.
LOAN_READERS: Final = roles(B, C, F, TL, M, CO, LC)
#: Who sees the training register and the quality figures: leads and oversight.
TRAINING_OVERSIGHT: Final = roles(TL, M, CO)

MATRIX: Final[Mapping[tuple[str, str], Rule]] = {
    # --- the API's documentation: public, it describes routes, not data -------------
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/static/docs/{path}"): PUBLIC,
    # --- signing in and out: signing in is public; who am I and signing out need a
    # signed-in user of any role ---------------------------------------------------
    ("POST", "/v1/sessions"): PUBLIC,
    ("DELETE", "/v1/sessions"): SIGNED_IN,
    ("GET", "/v1/me"): SIGNED_IN,
    ("POST", "/v1/portal/codes"): PUBLIC,
    ("POST", "/v1/portal/sessions"): PUBLIC,
    ("GET", "/portal/sign-in"): PUBLIC,
    ("POST", "/portal/sign-in"): PUBLIC,
    # --- the web app's front door: the landing page and staff sign-in are public;
    # signing out needs someone signed in; the pages' own assets are public --------
    ("GET", "/"): PUBLIC,
    ("GET", "/sign-in"): PUBLIC,
    ("POST", "/sign-in"): PUBLIC,
    ("POST", "/sign-out"): SIGNED_IN,
    ("GET", "/static/web/{path}"): PUBLIC,
    # --- web: the borrower's portal (filled by the portal's pages) ------------------
    ("GET", "/portal"): roles(B),
    ("GET", "/portal/loans/{loan_id}"): roles(B),
    ("GET", "/portal/loans/{loan_id}/pay"): roles(B),
    ("POST", "/portal/loans/{loan_id}/pay"): roles(B),
    ("GET", "/portal/plan"): roles(B),
    ("POST", "/portal/plan"): roles(B),
    ("POST", "/portal/plan/offers/{offer_id}/accept"): roles(B),
    ("GET", "/portal/preferences"): roles(B),
    ("POST", "/portal/preferences"): roles(B),
    ("GET", "/portal/complaints"): roles(B),
    ("POST", "/portal/complaints"): roles(B),
    # --- web: the collector's workbench ---------------------------------------------
    # a collector works the cases assigned to them; a team lead or manager sees every
    # collector's queue and case (the object rules keep a collector to their own) ----
    ("GET", "/work"): roles(C, TL, M),
    ("GET", "/work/cases/{case_id}"): roles(C, TL, M),
    ("POST", "/work/cases/{case_id}/calls"): roles(C, TL, M),
    ("POST", "/work/cases/{case_id}/promises"): roles(C, TL, M),
    ("POST", "/work/cases/{case_id}/hardship"): roles(C, TL, M),
    # --- web: the field agent's day -------------------------------------------------
    # a field agent reads their own day and records their visits' outcomes; a team
    # lead or manager reads every agent's day, masked, and records nothing ----------
    ("GET", "/field"): roles(F, TL, M),
    ("GET", "/field/visits/{visit_id}"): roles(F, TL, M),
    ("POST", "/field/visits/{visit_id}/outcome"): roles(F),
    # --- web: the manager's dashboard -----------------------------------------------
    # the book's aggregate figures, for those who run or oversee collections; the
    # chart library is a public asset like the pages' own
    ("GET", "/dashboard"): roles(TL, M, RA, CO, LC),
    ("GET", "/dashboard/export/{table}.csv"): roles(TL, M, RA, CO, LC),
    ("GET", "/static/charts/plotly.min.js"): PUBLIC,
    # --- web: complaints -------------------------------------------------------------
    # staff who hear a complaint (by call, visit or in writing) record it; the queue,
    # the register's texts and the final response are for compliance and managers -----
    ("POST", "/v1/complaints"): roles(C, F, TL, M, CO),
    ("GET", "/v1/complaints"): roles(M, CO),
    ("GET", "/v1/complaints/{complaint_id}"): roles(M, CO),
    ("POST", "/v1/complaints/{complaint_id}/answer"): roles(CO),
    # the pages: the queue and a complaint (names masked) for the same readers; the
    # actions that move a complaint on, like the final response, for compliance only
    ("GET", "/complaints"): roles(M, CO),
    ("GET", "/complaints/{complaint_id}"): roles(M, CO),
    ("POST", "/complaints/{complaint_id}/acknowledge"): roles(CO),
    ("POST", "/complaints/{complaint_id}/answer"): roles(CO),
    ("POST", "/complaints/{complaint_id}/escalate"): roles(CO),
    ("POST", "/complaints/{complaint_id}/close"): roles(CO),
    # --- letters and education: anyone holding a letter may check it is genuine, and
    # the education guides are for everyone; neither shows a borrower's data ----------
    ("GET", "/v1/letters/verify/{code}"): PUBLIC,
    ("GET", "/letters/verify"): PUBLIC,
    ("GET", "/letters/verify/{code}"): PUBLIC,
    ("GET", "/portal/learn"): PUBLIC,
    ("GET", "/portal/learn/{topic}"): PUBLIC,
    # --- the borrower portal's hardship form: a signed-in borrower only -------------
    ("GET", "/portal/hardship"): roles(B),
    ("POST", "/portal/hardship"): roles(B),
    # --- provider callbacks: signed by the provider, not called by users ------------
    ("POST", "/v1/channels/inbound"): SIGNED,
    ("POST", "/v1/channels/{provider}/status"): SIGNED,
    # --- origination: applications, applicants' records and monitoring are the
    # lender's operations (manager); decisions are read by risk and compliance too.
    # A borrower reads their own credit line, asks for quotes, draws and cancels
    # within the cooling-off window; a manager may do it for them at a branch. ------
    ("POST", "/v1/applications"): roles(M),
    ("GET", "/v1/applications/{application_id}"): roles(M, RA, CO),
    ("PUT", "/v1/merchants/{merchant_id}"): roles(M),
    ("POST", "/v1/merchants/{merchant_id}/records"): roles(M),
    ("POST", "/v1/consumers/{consumer_id}/records"): roles(M),
    ("GET", "/v1/credit-lines/{line_id}"): roles(B, M),
    ("POST", "/v1/credit-lines/{line_id}/drawdowns"): roles(B, M),
    ("POST", "/v1/credit-lines/{line_id}/quotes"): roles(B, M),
    ("POST", "/v1/drawdowns/{drawdown_id}/cancellation"): roles(B, M),
    ("GET", "/v1/origination/monitoring"): roles(M, RA, CO),
    # --- loans and payments: a loan is read by those working it; money moves by the
    # borrower paying their own loan or a manager recording a payment; only a manager
    # reverses one. Field agents read loans (the visit's balance), not payments. ------
    ("GET", "/v1/loans/{loan_id}"): LOAN_READERS,
    ("GET", "/v1/loans/{loan_id}/borrower"): LOAN_READERS,  # masked but for the borrower
    ("POST", "/v1/loans/{loan_id}/payments"): roles(B, M),
    ("POST", "/v1/payments/{payment_id}/reversal"): roles(M),
    ("GET", "/v1/payments/{payment_id}"): roles(B, C, TL, M, CO, LC),
    # --- negotiation: hardship is told by the borrower or recorded by their collector;
    # offers are approved within each approver's authority (collector < field agent <
    # team lead < manager < risk committee, for which the risk analyst acts) and
    # accepted by the borrower or by the staff member they accept it with. ----------
    ("POST", "/v1/hardship"): roles(B, C, TL, M),
    ("GET", "/v1/cases/{case_id}/offers"): roles(B, C, F, TL, M, CO),
    ("POST", "/v1/offers/{offer_id}/approve"): roles(C, F, TL, M, RA),
    ("POST", "/v1/offers/{offer_id}/accept"): roles(B, C, F, TL, M),
    # --- legal: leads and managers propose a referral; legal counsel or a manager
    # decides (never the proposer); legal counsel records the case's steps and costs;
    # compliance reads. Evidence bundles are checked by legal, compliance, managers. ---
    ("GET", "/v1/legal/referrals"): roles(TL, M, CO, LC),
    ("GET", "/v1/legal/referrals/{referral_id}"): roles(TL, M, CO, LC),
    ("POST", "/v1/legal/referrals"): roles(TL, M),
    ("POST", "/v1/legal/referrals/{referral_id}/approve"): roles(M, LC),
    ("POST", "/v1/legal/referrals/{referral_id}/reject"): roles(M, LC),
    ("POST", "/v1/legal/referrals/{referral_id}/events"): roles(LC),
    ("POST", "/v1/legal/bundles/verify"): roles(M, CO, LC),
    # --- field: leads assign visits; the assigned agent records the outcome; plans
    # are read by agents (their own itinerary), leads and managers. ------------------
    ("POST", "/v1/field/visits/{visit_id}/assign"): roles(TL, M),
    ("POST", "/v1/field/visits/{visit_id}/outcome"): roles(F),
    ("GET", "/v1/field/plans/{plan_date}"): roles(F, TL, M),
    # --- training: every member of staff reads the curriculum, their own records and
    # takes their own courses; oversight reads the register, status and quality;
    # compliance signs certificates (never their own) and imports outside ones;
    # compliance and managers suspend and reinstate; the register is kept by managers
    # and admins. -------------------------------------------------------------------
    ("GET", "/v1/training/courses"): STAFF,
    ("POST", "/v1/training/staff"): roles(M, AD),
    ("GET", "/v1/training/staff"): roles(TL, M, CO, AD),
    ("GET", "/v1/training/staff/{staff_id}/records"): STAFF,
    ("POST", "/v1/training/staff/{staff_id}/imports"): roles(CO),
    ("POST", "/v1/training/staff/{staff_id}/complaints"): TRAINING_OVERSIGHT,
    ("POST", "/v1/training/reviews"): TRAINING_OVERSIGHT,
    ("GET", "/v1/training/reviews/sample"): TRAINING_OVERSIGHT,
    ("POST", "/v1/training/staff/{staff_id}/enrolments"): STAFF,
    ("POST", "/v1/training/staff/{staff_id}/courses/{course_id}/modules"): STAFF,
    ("POST", "/v1/training/staff/{staff_id}/courses/{course_id}/attempts"): STAFF,
    ("POST", "/v1/training/staff/{staff_id}/courses/{course_id}/certificate"): roles(CO),
    ("POST", "/v1/training/staff/{staff_id}/suspensions"): roles(M, CO),
    ("POST", "/v1/training/staff/{staff_id}/reinstatement"): roles(M, CO),
    ("GET", "/v1/training/status"): TRAINING_OVERSIGHT,
    ("GET", "/v1/training/warnings"): TRAINING_OVERSIGHT,
    ("GET", "/v1/training/quality"): TRAINING_OVERSIGHT,
}


def rule_for(method: str, template: str,
             matrix: Mapping[tuple[str, str], Rule] = MATRIX) -> Rule | None:
    """The rule of ``method`` on ``template``; None when the matrix has no entry."""
    wanted = method.upper()
    return matrix.get(("GET" if wanted == "HEAD" else wanted, template))


def decide(rule: Rule | None, principal: Principal | None) -> Decision:
    """Whether ``principal`` (None: nobody signed in) may call a route with ``rule``.

    >>> decide(PUBLIC, None)
    <Decision.ALLOW: 'allow'>
    >>> decide(frozenset({Role.MANAGER}), None)
    <Decision.SIGN_IN: 'sign_in'>
    >>> decide(frozenset({Role.MANAGER}), Principal(1, "li", Role.COLLECTOR))
    <Decision.DENY: 'deny'>
    >>> decide(None, Principal(1, "root", Role.ADMIN))
    <Decision.DENY: 'deny'>
    """
    if rule is None:
        return Decision.DENY
    if isinstance(rule, Open):
        return Decision.ALLOW
    if principal is None:
        return Decision.SIGN_IN
    return Decision.ALLOW if principal.role in rule else Decision.DENY


def allowed_roles(rule: Rule | None) -> frozenset[Role]:
    """The roles a signed-in user may have to call a route with ``rule``."""
    if rule is None:
        return frozenset()
    if isinstance(rule, Open):
        return frozenset(Role)
    return rule
