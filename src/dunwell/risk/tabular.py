"""Tabular input: CSV bytes to a frame, the feature schema, the binary target, and
the checks that keep scoring data in the shape the model was trained on.

The training frame and every scoring batch pass through :func:`feature_columns`
(columns) or :func:`row_values` (one row as a dict): both refuse a missing column or
junk in a numeric one with an error naming the column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import numbers
import re
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from dunwell.risk.errors import RiskInputError, SchemaMismatch
from dunwell.risk.model import DroppedColumn, FeatureSpec, Kind, Schema

#: Fewer rows than this cannot tell an identifier from a measurement.
ID_MIN_ROWS = 50
MIN_ROWS = 50
MIN_CLASS_ROWS = 20
#: A column with at most this many values, each seen with one outcome only, is the
#: target in disguise (a copy, a recoding, a status written after the fact).
LEAK_MAX_VALUES = 10
_UNNAMED = re.compile(r"unnamed: ?\d+$")
_CAMEL_ID = re.compile(r"[a-z](Id|ID)$")
#: Characteristics a credit decision may not rest on (ECOA/Reg B, the UK Equality
#: Act 2010, China's rules on fair treatment): set aside unless kept on purpose.
PROTECTED = re.compile(
    r"^(sex|gender|marriage|marital(_status)?|race|ethnic(ity)?|religion|nationality)$", re.I)
_TRUE = frozenset({"1", "1.0", "true", "yes", "y", "bad"})
_FALSE = frozenset({"0", "0.0", "false", "no", "n", "good"})


def fingerprint(data: bytes) -> str:
    """The training-data fingerprint: sha256 of the CSV bytes."""
    return hashlib.sha256(data).hexdigest()


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RiskInputError(f"the CSV is not UTF-8 text (byte {exc.start} is not valid)",
                             code="risk_csv_must_be_utf8") from None


def _check_shape(text: str) -> None:
    """Column names are unique and every data line has as many fields as the header."""
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, None) or []]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise RiskInputError(f"the CSV repeats column names ({', '.join(map(repr, dupes))})",
                             code="risk_csv_columns_must_be_unique")
    for row in reader:
        if row and len(row) != len(header):
            raise RiskInputError(
                f"line {reader.line_num} has {len(row)} fields but the header has "
                f"{len(header)}", code="risk_csv_rows_must_match_header", line=reader.line_num)


def read_frame(data: bytes, *, text_columns: Collection[str] = ()) -> pd.DataFrame:
    """Parse CSV bytes; ``text_columns`` are kept as text (categories like ``"01"``)."""
    text = decode(data)
    if not text.strip():
        raise RiskInputError("the CSV is empty; it needs a header line and data rows",
                             code="risk_csv_must_have_rows")
    _check_shape(text)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype={c: "string" for c in text_columns},
                            skip_blank_lines=True, index_col=False)
    except (pd.errors.ParserError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise RiskInputError(f"the CSV cannot be parsed: {first}",
                             code="risk_csv_must_parse") from None
    if frame.empty:
        raise RiskInputError("the CSV has a header but no data rows",
                             code="risk_csv_must_have_rows")
    return frame


def looks_like_id_name(name: str) -> bool:
    """``id``, ``loan_id``, ``id_card``, ``customerId``, ``Unnamed: 0``; not ``PAID``."""
    lower = name.lower()
    return (lower in {"id", "uuid", "guid", "index"} or lower.endswith("_id")
            or lower.startswith("id_") or bool(_UNNAMED.match(lower))
            or bool(_CAMEL_ID.search(name)))


def binary_target(frame: pd.DataFrame, target: str) -> np.ndarray[Any, np.dtype[np.int8]]:
    """The target as 0/1 (1 = the bad outcome); refuses anything else."""
    if target not in frame.columns:
        known = ", ".join(map(str, frame.columns[:12]))
        raise RiskInputError(f"target column {target!r} is not in the CSV (columns: {known})",
                             code="risk_target_column_must_exist")
    column = frame[target]
    missing = column.isna().to_numpy()
    if missing.any():
        line = int(np.flatnonzero(missing)[0]) + 2
        raise RiskInputError(
            f"target column {target!r} is empty on {int(missing.sum())} rows "
            f"(first at line {line}); every training row needs an outcome",
            code="risk_target_must_not_be_missing")
    labels = column.astype("string").str.strip().str.lower()
    bad, good = labels.isin(_TRUE).to_numpy(), labels.isin(_FALSE).to_numpy()
    if not (bad | good).all():
        odd = sorted(set(labels[~(bad | good)].tolist()))[:5]
        raise RiskInputError(
            f"target column {target!r} must be binary (1/0, true/false, yes/no, bad/good); "
            f"found {', '.join(map(repr, odd))}",
            code="risk_target_must_be_binary")
    y: np.ndarray[Any, np.dtype[np.int8]] = bad.astype(np.int8)
    bads = int(y.sum())
    if bads in (0, len(y)):
        only = "bad (1)" if bads else "good (0)"
        raise RiskInputError(
            f"target column {target!r} has one class only (every row is {only}); "
            f"a model needs both outcomes",
            code="risk_target_must_have_two_classes")
    if len(y) < MIN_ROWS or min(bads, len(y) - bads) < MIN_CLASS_ROWS:
        raise RiskInputError(
            f"training needs at least {MIN_ROWS} rows and {MIN_CLASS_ROWS} of each outcome in "
            f"{target!r}; got {len(y)} rows with {bads} bad",
            code="risk_training_data_must_be_large_enough")
    return y


def _drop_reason(column: pd.Series, name: str, kind: Kind,
                 y: np.ndarray[Any, Any]) -> str | None:
    rows = len(column)
    present = column.dropna()
    if present.empty:
        return "every value is missing"
    distinct = int(present.nunique())
    if distinct <= 1:
        return "the same value on every row"
    if looks_like_id_name(name):
        return "an identifier by its name"
    if len(present) == rows and distinct <= LEAK_MAX_VALUES and \
            int(pd.Series(y).groupby(column.to_numpy()).nunique().max()) == 1:
        return "it restates the target"
    if kind is Kind.NUMERIC:
        values = present.to_numpy(dtype=np.float64)
        if distinct == rows and rows >= ID_MIN_ROWS and np.all(values == np.round(values)):
            return "an identifier: a different whole number on every row"
        return None
    if distinct == rows and rows >= ID_MIN_ROWS:
        return "an identifier: a different text on every row"
    if distinct > max(50, rows // 2):
        return f"free text with {distinct} different values"
    return None


def infer_schema(frame: pd.DataFrame, target: str, y: np.ndarray[Any, Any], *,
                 categorical: Collection[str] = (), drop: Collection[str] = (),
                 keep_protected: bool = False) -> Schema:
    """Features, their kinds and the columns set aside (never the target)."""
    columns = [str(c) for c in frame.columns]
    for name in (*categorical, *drop):
        if name not in columns:
            raise RiskInputError(f"column {name!r} named in an option is not in the CSV",
                                 code="risk_option_column_must_exist")
    features: list[FeatureSpec] = []
    dropped: list[DroppedColumn] = []
    for name in columns:
        if name == target:
            continue
        if name in drop:
            dropped.append(DroppedColumn(name, "dropped on request"))
            continue
        if PROTECTED.match(name) and not keep_protected:
            dropped.append(DroppedColumn(name, "a protected characteristic"))
            continue
        column = frame[name]
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(
            column)
        kind = Kind.CATEGORICAL if name in categorical or not numeric else Kind.NUMERIC
        reason = _drop_reason(column, name, kind, y)
        if reason is not None:
            dropped.append(DroppedColumn(name, reason))
        elif kind is Kind.NUMERIC:
            values = column.to_numpy(dtype=np.float64, na_value=np.nan)
            dtype = "int64" if pd.api.types.is_integer_dtype(column) else "float64"
            features.append(FeatureSpec(name, kind, dtype,
                                        median=float(np.nanmedian(values))))
        else:
            cats = tuple(sorted({_text(v) for v in column.dropna().tolist()}))
            features.append(FeatureSpec(name, kind, "string", categories=cats))
    if not features:
        raise RiskInputError(
            "no usable feature is left after setting aside the target, identifiers and "
            "constant columns", code="risk_features_must_remain")
    return Schema(tuple(features), target, tuple(dropped))


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _numeric_column(series: pd.Series, name: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    if pd.api.types.is_bool_dtype(series):
        raise SchemaMismatch(f"column {name!r} holds true/false but the model expects numbers",
                             code="risk_column_must_be_numeric", column=name)
    values: np.ndarray[Any, np.dtype[np.float64]]
    if pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        text = series.astype("string").str.strip()
        text = text.mask(text == "")
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64,
                                                               na_value=np.nan)
        junk = np.isnan(values) & text.notna().to_numpy()
        if junk.any():
            at = int(np.flatnonzero(junk)[0])
            raise SchemaMismatch(
                f"column {name!r} must be numeric; line {at + 2} holds {text.iloc[at]!r}",
                code="risk_column_must_be_numeric", column=name, line=at + 2)
    bad = np.isinf(values)
    if bad.any():
        at = int(np.flatnonzero(bad)[0])
        raise SchemaMismatch(f"column {name!r} must be finite; line {at + 2} is infinite",
                             code="risk_column_must_be_finite", column=name, line=at + 2)
    return values


def feature_columns(frame: pd.DataFrame, schema: Schema) -> dict[str, np.ndarray[Any, Any]]:
    """The model's features as arrays: numeric as float64 (NaN = missing), categories
    as object arrays of ``str`` or ``None``. Other columns, the target too, are ignored."""
    missing = [f.name for f in schema.features if f.name not in frame.columns]
    if missing:
        raise SchemaMismatch(
            f"column {missing[0]!r} is missing; the model needs "
            f"{', '.join(map(repr, missing))}" if len(missing) > 1 else
            f"column {missing[0]!r} is missing; the model was trained with it",
            code="risk_column_must_be_present", column=missing[0])
    out: dict[str, np.ndarray[Any, Any]] = {}
    for spec in schema.features:
        series = frame[spec.name]
        if spec.kind is Kind.NUMERIC:
            out[spec.name] = _numeric_column(series, spec.name)
        else:
            out[spec.name] = np.array([None if _missing(v) else _text(v)
                                       for v in series.tolist()], dtype=object)
    return out


def _missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def row_values(row: Mapping[str, object], schema: Schema) -> list[float | str | None]:
    """One row (a dict) as the model's feature values, checked like a CSV column."""
    out: list[float | str | None] = []
    for spec in schema.features:
        if spec.name not in row:
            raise SchemaMismatch(f"field {spec.name!r} is missing; the model was trained with it",
                                 code="risk_column_must_be_present", column=spec.name)
        value = row[spec.name]
        if _missing(value):
            out.append(None)
        elif spec.kind is Kind.CATEGORICAL:
            out.append(_text(value))
        else:
            out.append(_number(value, spec.name))
    return out


def _number(value: object, name: str) -> float:
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real | Decimal | str):
        raise SchemaMismatch(f"field {name!r} must be a number, got {value!r}",
                             code="risk_column_must_be_numeric", column=name)
    try:
        number = float(value)
    except (ValueError, ArithmeticError):
        raise SchemaMismatch(f"field {name!r} must be a number, got {value!r}",
                             code="risk_column_must_be_numeric", column=name) from None
    if not math.isfinite(number):
        raise SchemaMismatch(f"field {name!r} must be finite, got {value!r}",
                             code="risk_column_must_be_finite", column=name)
    return number


def with_scores(data: bytes, scores: Sequence[float], column: str = "score") -> str:
    """The input CSV's rows exactly as given, with ``column`` appended (or replaced)."""
    rows = [r for r in csv.reader(io.StringIO(decode(data))) if r]
    header, body = rows[0], rows[1:]
    if len(body) != len(scores):
        raise RiskInputError(f"the CSV has {len(body)} data rows but {len(scores)} were scored; "
                             "check for unbalanced quotes", code="risk_csv_must_parse")
    at = header.index(column) if column in header else None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header if at is not None else [*header, column])
    for values, score in zip(body, scores, strict=True):
        cell = f"{score:.6f}"
        if at is None:
            writer.writerow([*values, cell])
        else:
            writer.writerow([*values[:at], cell, *values[at + 1:]])
    return out.getvalue()
