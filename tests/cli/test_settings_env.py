"""Settings read from ``DUNWELL_*`` variables and keywords exactly as the
pydantic-settings model they replaced did: the same values, and for a bad value the
same ``ValidationError`` (field, type and message). Checked against a pydantic-settings
model built from the same fields, value by value, and through the command line."""

from __future__ import annotations

import dataclasses
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from typer.testing import CliRunner

from dunwell.settings import Settings

#: Values a person may type into each kind of variable, the odd ones included.
SAMPLES: dict[str, tuple[str, ...]] = {
    "int": ("16", " 16 ", "16.0", "16.5", "many", "", "0", "4097", "1_000", "+5", "-1",
            "0x10", "1e3"),
    "float": ("10", "0", "0.5", "121", "1e1", "inf", "nan", "abc", "", " 7 "),
    "bool": ("true", "True", "1", "0", "yes", "no", "on", "off", "t", "f", "y", "n",
             "maybe", "", " true "),
    "str": ("x", "", " spaced ", "sqlite:///tmp/b.sqlite"),
    "Path": ("/tmp/x", "", "rel/dir", "~/x"),
    "Path | None": ("", "/x", "null", "None", "rel"),
}


def _reference() -> type[BaseSettings]:
    """The pydantic-settings model of the same fields, types, bounds and defaults."""
    spec: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        kind = eval(str(f.type), {"Path": Path})  # our own annotations
        if f.default_factory is not dataclasses.MISSING:
            spec[f.name] = (kind, Field(default_factory=f.default_factory, **f.metadata))
        else:
            spec[f.name] = (kind, Field(default=f.default, **f.metadata))
    namespace: dict[str, Any] = {
        "__annotations__": {name: kind for name, (kind, _) in spec.items()},
        "model_config": SettingsConfigDict(env_prefix="DUNWELL_", extra="ignore"),
        **{name: default for name, (_, default) in spec.items()}}
    return type("Settings", (BaseSettings,), namespace)


def _outcome(make: Any) -> tuple[str, Any]:
    try:
        made = make()
    except ValidationError as exc:
        return "error", [(e["type"], e["loc"], e["msg"]) for e in exc.errors(include_url=False)]
    return "ok", {f.name: getattr(made, f.name) for f in dataclasses.fields(Settings)}


def test_every_field_reads_every_sample_as_pydantic_settings_did(
        monkeypatch: pytest.MonkeyPatch) -> None:
    reference = _reference()
    for f in dataclasses.fields(Settings):
        for raw in SAMPLES[str(f.type)]:
            for name in (f"DUNWELL_{f.name.upper()}", f"dunwell_{f.name}"):
                monkeypatch.setenv(name, raw)
                ours, theirs = _outcome(Settings), _outcome(reference)
                assert ours == theirs, (name, raw)
                monkeypatch.delenv(name)


def test_keywords_win_over_the_environment_and_are_checked_alike(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    reference = _reference()
    monkeypatch.setenv("DUNWELL_PARTITIONS", "3")
    monkeypatch.setenv("DUNWELL_DB_URL", "sqlite:///from-env.sqlite")
    for given in ({}, {"partitions": 5}, {"partitions": "6"}, {"partitions": 0},
                  {"partitions": 2.5}, {"db_url": None}, {"outbox_dir": tmp_path},
                  {"outbox_dir": str(tmp_path)}, {"outbox_dir": 3}, {"bureau_file": None},
                  {"dev_mode": "yes"}, {"no_such_setting": 1},
                  {"sms_http_timeout_seconds": 0}, {"log_level": "WARNING"}):
        assert _outcome(partial(Settings, **given)) == _outcome(partial(reference, **given)), (
            given)
    assert Settings(partitions=5).partitions == 5
    assert Settings().db_url == "sqlite:///from-env.sqlite"


def test_defaults_copies_and_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in __import__("os").environ if n.upper().startswith("DUNWELL_")]:
        monkeypatch.delenv(name)
    settings = Settings()
    assert settings.db_url == "sqlite:///var/dunwell.sqlite"
    assert settings.partitions == 8 and settings.bureau_file is None
    copied = settings.model_copy(update={"partitions": 2})
    assert (copied.partitions, settings.partitions) == (2, 8)
    assert copied != settings and settings.model_copy() == settings
    assert Settings.model_fields["letter_secret"].default == settings.letter_secret


def test_a_bad_variable_is_one_line_naming_it_on_the_command_line(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from dunwell.cli.main import app

    monkeypatch.setenv("DUNWELL_PARTITIONS", "0")
    result = CliRunner().invoke(app, ["portfolio", "--db", f"sqlite:///{tmp_path / 'b.sqlite'}"])
    assert result.exit_code == 2
    assert ("error: partitions: Input should be greater than or equal to 1 (check the "
            "DUNWELL_ settings and the options given) [settings_must_be_valid]"
            in result.output.replace("\n", " "))
