"""Credit risk models: training on any tabular CSV, scoring, explanations, monitoring.

Two families behind one interface (:class:`CreditModel`): a points scorecard
(OptBinning WOE bins + logistic regression, ``scorecard``) and gradient boosting
(LightGBM, ``gbm``); training keeps the one with the better validation AUC and
calibrates its probabilities on held-out data (``training``). Reason codes in
English and Chinese (``reasons``), validation report (``report``, ``charts``,
``metrics``), population stability (``monitor``), the model registry's format
(``registry``: the files themselves are read and written by
``dunwell.store.model_files``), k-fold evaluation (``evaluate``) and early-warning
features from a COB batch (``early_warning``). No module here touches files.

The online decision path::

    model = load_model("var/models/application")  # dunwell.app.risk
    p_bad = model.score_rows([{"LIMIT_BAL": 50000, "PAY_0": 2, ...}])[0]
    reasons = model.explain(row, top=3, lang="zh-CN")
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dunwell.risk.credit_model import CreditModel
    from dunwell.risk.early_warning import features_from_batch
    from dunwell.risk.model import Family, FeatureSpec, Reason, Schema, TrainOptions
    from dunwell.risk.monitor import Drift
    from dunwell.risk.training import Trained, train

#: Where each name below lives. They are imported when first read (PEP 562), so that
#: importing a light submodule (``dunwell.risk.model``, ``dunwell.risk.monitor``) does
#: not import pandas, LightGBM and OptBinning with the training and scoring code.
_EXPORTS = {
    "CreditModel": "dunwell.risk.credit_model",
    "features_from_batch": "dunwell.risk.early_warning",
    "Family": "dunwell.risk.model",
    "FeatureSpec": "dunwell.risk.model",
    "Reason": "dunwell.risk.model",
    "Schema": "dunwell.risk.model",
    "TrainOptions": "dunwell.risk.model",
    "Drift": "dunwell.risk.monitor",
    "Trained": "dunwell.risk.training",
    "train": "dunwell.risk.training",
}

__all__ = [
    "CreditModel",
    "Drift",
    "Family",
    "FeatureSpec",
    "Reason",
    "Schema",
    "TrainOptions",
    "Trained",
    "features_from_batch",
    "train",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
