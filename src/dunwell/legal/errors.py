"""Legal rejections, each with a stable code. Nothing is changed when one is raised."""

from dunwell.core.errors import Conflict, InvalidInput


class ReferralRulesInvalid(InvalidInput):
    code = "referral_rules_must_be_valid"


class ReferralRejected(Conflict):
    """A referral the rules do not allow; ``details["failures"]`` lists each criterion."""

    code = "referral_criteria_must_be_met"


class ProtectedBorrower(ReferralRejected):
    code = "referral_borrower_must_not_be_protected"


class PlanInGoodStanding(ReferralRejected):
    code = "referral_plan_must_not_be_in_good_standing"


class ReferralStateRejected(Conflict):
    code = "referral_status_must_allow_operation"


class ApprovalInvalid(InvalidInput):
    code = "referral_approval_must_name_person_role_and_note"


class LegalTransitionRejected(Conflict):
    code = "legal_case_transition_must_be_allowed"


class LegalCostInvalid(InvalidInput):
    code = "legal_cost_must_not_be_negative"


class BundleInvalid(InvalidInput):
    code = "bundle_must_be_readable"
