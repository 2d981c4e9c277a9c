"""Origination's rejections, each with a stable code (named in positive space)."""

from dunwell.core.errors import Conflict, InvalidInput, NotFound


class ApplicationInvalid(InvalidInput):
    code = "application_must_be_valid"


class MerchantUnknown(NotFound):
    code = "merchant_must_exist"


class DrawdownRefused(Conflict):
    code = "drawdown_must_be_possible"
