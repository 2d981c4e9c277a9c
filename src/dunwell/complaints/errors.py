"""Complaint rejections, each with a stable code. Nothing is changed when one is raised."""

from dunwell.core.errors import Conflict, InvalidInput


class ComplaintTransitionRejected(Conflict):
    """A status change the complaint's status table does not allow."""

    code = "complaint_transition_must_be_allowed"


class EscalationTooEarly(Conflict):
    """Escalation before a final response and before the final-response deadline."""

    code = "complaint_escalation_must_follow_answer_or_deadline"


class EscalationRouteUnknown(InvalidInput):
    code = "escalation_route_must_be_known"


class ComplaintTextInvalid(InvalidInput):
    code = "complaint_text_must_be_given"
