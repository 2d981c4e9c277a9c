"""Collections rejections, each with a stable code."""

from dunwell.core.errors import Conflict, InvalidInput


class StrategyRejected(InvalidInput):
    """A strategy document is malformed; ``details["problems"]`` lists each problem."""

    code = "strategy_must_be_valid"


class PromiseRejected(InvalidInput):
    code = "promise_must_be_valid"


class QueueInputRejected(InvalidInput):
    code = "queue_input_must_be_valid"


class CaseTransitionRejected(Conflict):
    code = "case_status_must_allow_transition"


class ContactRefused(Conflict):
    """An outbound contact the compliance guard does not allow at that moment; nothing
    was recorded. ``details["rule"]`` names the deciding rule."""

    code = "contact_must_pass_guard"


class PromiseConflict(Conflict):
    """A different promise is still pending on the case."""

    code = "case_must_not_have_pending_promise"
