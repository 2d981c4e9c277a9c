"""The lab's behavioural parameters: one TOML file, every value with its range and
either a source or an assumption; the uncertain ones can be scaled for the
sensitivity report.

A scalar parameter is a table ``[section.name]`` with ``value``, ``low``, ``high``,
exactly one of ``source`` / ``assumption`` (non-empty text) and optionally
``uncertain = true``. A weights table (``[pressure.weights]``, ``[cost]``) maps names to
non-negative numbers and carries an ``assumption`` or ``source``.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dunwell.core.errors import InvalidInput

DEFAULT_FILE = "parameters.toml"
#: Weights tables: name -> the keys each must hold.
WEIGHTS: dict[str, tuple[str, ...]] = {
    "pressure.weights": (
        "sms",
        "in_app",
        "call_attempt",
        "call",
        "letter",
        "visit",
        "legal",
        "help",
    ),
    "cost": ("sms", "in_app", "email", "call", "letter", "visit", "offer", "education", "legal"),
}
#: Every scalar the world model reads (a file without one is refused).
REQUIRED = (
    "population.merchant_share",
    "population.en_share",
    "population.remote_city_share",
    "population.consumer_income_median",
    "population.merchant_sales_median",
    "population.willingness_mean",
    "population.refuser_share",
    "population.call_reach",
    "population.home_share",
    "shocks.illness_hazard",
    "shocks.illness_days",
    "shocks.illness_ability",
    "shocks.family_emergency_hazard",
    "shocks.family_emergency_days",
    "shocks.family_emergency_ability",
    "shocks.downturn_hazard",
    "shocks.downturn_days",
    "shocks.downturn_ability",
    "payment.miss_due",
    "payment.reminder_uplift",
    "payment.cure_hazard",
    "payment.self_cure_share",
    "payment.unwilling_threshold",
    "response.sms_uplift",
    "response.call_uplift",
    "response.letter_uplift",
    "response.visit_uplift",
    "response.promise_share",
    "response.promise_kept",
    "response.hardship_disclosure",
    "response.plan_keep_fit",
    "response.plan_keep_unfit",
    "pressure.half_life_days",
    "pressure.tolerance",
    "pressure.complaint_rate",
    "pressure.complaint_base",
    "pressure.reactance",
    "pressure.willingness_erosion",
    "legal.settle_share",
)
#: Shares and probabilities: a scaled value is clipped to this.
PROBABILITY_MAX = 0.999
CODE = "simulation_parameters_must_be_valid"


@dataclass(frozen=True, slots=True)
class Param:
    """One behavioural parameter, with where its value comes from."""

    name: str
    value: float
    low: float
    high: float
    source: str | None
    assumption: str | None
    uncertain: bool


@dataclass(frozen=True)
class Parameters:
    """Every parameter of the lab, loaded from ``path`` (``scales`` records what the
    sensitivity report changed)."""

    path: str
    text_digest: str
    scalars: Mapping[str, Param]
    weights: Mapping[str, Mapping[str, float]]
    scales: Mapping[str, float] = field(default_factory=dict)

    def __getitem__(self, name: str) -> float:
        return self.scalars[name].value

    def weight(self, table: str, key: str) -> float:
        return self.weights[table][key]

    @property
    def uncertain(self) -> list[Param]:
        return [p for p in self.scalars.values() if p.uncertain]

    @property
    def digest(self) -> str:
        """The file's digest, with any scaling applied to it."""
        if not self.scales:
            return self.text_digest
        extra = ";".join(f"{k}x{v}" for k, v in sorted(self.scales.items()))
        return hashlib.sha256(f"{self.text_digest};{extra}".encode()).hexdigest()

    def scaled(self, name: str, factor: float) -> Parameters:
        """A copy with the uncertain parameter ``name`` multiplied by ``factor`` (shares
        stay below 1)."""
        param = self.scalars.get(name)
        if param is None or not param.uncertain:
            raise InvalidInput(
                f"{name!r} is not an uncertain parameter of {self.path}; "
                "the sensitivity report scales only those marked "
                "`uncertain = true`",
                code=CODE,
                field=name,
            )
        value = param.value * factor
        if param.high <= 1.0:
            value = min(value, PROBABILITY_MAX)
        scalars = dict(self.scalars)
        scalars[name] = replace(param, value=value)
        return replace(self, scalars=scalars, scales={**self.scales, name: factor})


def default_path() -> Path:
    return Path(str(importlib.resources.files("dunwell.simulation.lab") / DEFAULT_FILE))


def load(path: Path | None = None) -> Parameters:
    """Read and check the parameter file (the built-in one by default)."""
    path = path or default_path()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(
            f"cannot read the parameter file {path}: {exc.strerror}", code=CODE, field="parameters"
        ) from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"the parameter file {path} is not valid TOML: {exc}", code=CODE, field="parameters"
        ) from exc
    return parse(data, path=str(path), digest=hashlib.sha256(raw).hexdigest())


def parse(data: Mapping[str, Any], *, path: str, digest: str = "") -> Parameters:
    """Check a parsed parameter document; every problem is named with its parameter."""
    scalars: dict[str, Param] = {}
    weights: dict[str, dict[str, float]] = {}
    for section, body in data.items():
        if not isinstance(body, dict):
            _fail(path, section, "must be a table")
        if section in WEIGHTS:
            weights[section] = _weights(path, section, body)
            continue
        for key, spec in body.items():
            name = f"{section}.{key}"
            if name in WEIGHTS:
                weights[name] = _weights(path, name, spec)
            else:
                scalars[name] = _scalar(path, name, spec)
    missing = [n for n in REQUIRED if n not in scalars]
    missing += [n for n in WEIGHTS if n not in weights]
    if missing:
        _fail(path, missing[0], f"is missing (also missing: {', '.join(missing[1:]) or 'none'})")
    return Parameters(path, digest, scalars, weights)


def _fail(path: str, name: str, what: str) -> None:
    raise InvalidInput(
        f"{path}: parameter {name} {what}; see docs/simulation.md for the format",
        code=CODE,
        field=name,
    )


def _number(path: str, name: str, spec: Mapping[str, Any], key: str) -> float:
    value = spec.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(path, name, f"needs a number `{key}` (got {value!r})")
    return float(value)  # type: ignore[arg-type]


def _scalar(path: str, name: str, spec: object) -> Param:
    if not isinstance(spec, dict):
        _fail(path, name, "must be a table with value, low, high and a source or assumption")
    assert isinstance(spec, dict)
    unknown = set(spec) - {"value", "low", "high", "source", "assumption", "uncertain"}
    if unknown:
        _fail(path, name, f"has unknown keys {sorted(unknown)}")
    value, low, high = (_number(path, name, spec, k) for k in ("value", "low", "high"))
    if not low <= value <= high:
        _fail(path, name, f"value {value} must lie within its range [{low}, {high}]")
    if value < 0 or low < 0:
        _fail(path, name, "must not be negative")
    source, assumption = spec.get("source"), spec.get("assumption")
    texts = [t for t in (source, assumption) if t is not None]
    if len(texts) != 1 or not isinstance(texts[0], str) or not texts[0].strip():
        _fail(path, name, "needs exactly one non-empty `source` or `assumption`")
    uncertain = spec.get("uncertain", False)
    if not isinstance(uncertain, bool):
        _fail(path, name, "`uncertain` must be true or false")
    return Param(name, value, low, high, source, assumption, uncertain)


def _weights(path: str, name: str, spec: object) -> dict[str, float]:
    if not isinstance(spec, dict):
        _fail(path, name, "must be a table of weights")
    assert isinstance(spec, dict)
    text = spec.get("assumption") or spec.get("source")
    if not isinstance(text, str) or not text.strip():
        _fail(path, name, "needs a non-empty `source` or `assumption`")
    out: dict[str, float] = {}
    for key in WEIGHTS[name]:
        out[key] = _number(path, f"{name}.{key}", spec, key)
        if out[key] < 0:
            _fail(path, f"{name}.{key}", "must not be negative")
    return out
