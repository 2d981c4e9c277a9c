"""Risk-model rejections, each with a stable code.

Bad data and bad options are :class:`~dunwell.core.errors.InvalidInput` with a code
naming what must hold (``risk_column_must_be_numeric``...); an artifact on disk that
cannot be read back is a :class:`ModelLoadError`, never a silent default.
"""

from __future__ import annotations

from dunwell.core.errors import DomainError, InvalidInput, NotFound


class RiskInputError(InvalidInput):
    """The CSV, a row or an option does not fit what training or scoring needs."""

    code = "risk_input_must_be_valid"


class SchemaMismatch(RiskInputError):
    """Data to score does not match the model's feature schema."""

    code = "risk_data_must_match_schema"


class ModelLoadError(DomainError):
    """A model directory or one of its artifacts is missing, corrupt or unreadable."""

    code = "risk_model_artifact_must_load"


class ModelVersionNotFound(NotFound):
    code = "risk_model_version_must_exist"
