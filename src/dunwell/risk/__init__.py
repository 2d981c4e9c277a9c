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

from dunwell.risk.credit_model import CreditModel
from dunwell.risk.early_warning import features_from_batch
from dunwell.risk.model import Family, FeatureSpec, Reason, Schema, TrainOptions
from dunwell.risk.monitor import Drift
from dunwell.risk.training import Trained, train

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
