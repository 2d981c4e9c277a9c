"""Providers are plugins: a package registers a factory under the
``dunwell.channel_providers`` entry points and the settings choose it by name."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dunwell.channels.model import MessageChannel, OutgoingMessage
from dunwell.channels.ports import ENTRY_POINT_GROUP, ChannelProvider
from dunwell.core.errors import InvalidInput
from dunwell.providers.registry import available, build_providers, config_for
from dunwell.settings import Settings

PLUGIN = '''
from dunwell.channels.model import SendReceipt

class PigeonPost:
    def __init__(self, config):
        self.name = config.name
        self.channels = config.channels
        self.config = config

    def send(self, message):
        return SendReceipt("pigeon-" + message.idempotency_key)

def factory(config):
    return PigeonPost(config)
'''


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An installed distribution ``pigeon`` with one provider entry point."""
    (tmp_path / "pigeon_post.py").write_text(PLUGIN, encoding="utf-8")
    info = tmp_path / "pigeon-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pigeon\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\npigeon = pigeon_post:factory\n"
        "broken = no_such_module_anywhere:factory\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "pigeon"
    sys.modules.pop("pigeon_post", None)


def test_an_entry_point_provider_is_discovered_and_chosen_by_the_settings(
        plugin: str, tmp_path: Path) -> None:
    assert {"local", "sms_http", "email_http", plugin, "broken"} <= set(available())
    settings = Settings(sms_provider=plugin, outbox_dir=tmp_path / "out")
    providers = build_providers(settings)
    assert set(providers) == {"local", plugin}
    pigeon = providers[plugin]
    assert isinstance(pigeon, ChannelProvider)
    assert pigeon.channels == frozenset({MessageChannel.SMS})
    message = OutgoingMessage("msg-1", MessageChannel.SMS, "+1", "", "hi", 1, "sms_reminder",
                              "en")
    assert pigeon.send(message).provider_message_id == "pigeon-msg-1"


def test_an_unregistered_provider_name_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput) as err:
        build_providers(Settings(email_provider="carrier_pigeon"))
    assert err.value.code == "channel_provider_must_be_registered"
    assert "carrier_pigeon" in err.value.message


def test_the_http_providers_take_their_endpoint_token_and_timeout_from_settings() -> None:
    settings = Settings(sms_provider="sms_http", sms_http_base_url="http://127.0.0.1:1",
                        sms_http_token="t", sms_http_timeout_seconds=2.5)
    config = config_for(settings, "sms_http")
    assert (config.base_url, config.token, config.timeout_seconds) == (
        "http://127.0.0.1:1", "t", 2.5)
    assert config.channels == frozenset({MessageChannel.SMS})
    assert config_for(settings, "local").channels == frozenset(
        {MessageChannel.EMAIL, MessageChannel.IN_APP, MessageChannel.VOICE})


def test_a_broken_plugin_nobody_chose_does_not_stop_the_others(plugin: str) -> None:
    assert set(build_providers(Settings(sms_provider=plugin))) == {"local", plugin}
    with pytest.raises(ModuleNotFoundError):
        build_providers(Settings(sms_provider="broken"))


def test_a_plugin_installed_after_a_lookup_is_found(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Lookups are remembered, but not past a change to a directory on the path: a
    plugin installed next to the ones already found replaces the built-in it names."""
    monkeypatch.syspath_prepend(str(tmp_path))
    settings = Settings(outbox_dir=tmp_path / "out")
    before = build_providers(settings)["local"]
    assert type(before).__name__ == "LocalFileProvider"
    assert type(build_providers(settings)["local"]) is type(before)
    (tmp_path / "heron_post.py").write_text(PLUGIN, encoding="utf-8")
    info = tmp_path / "heron-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: heron\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nlocal = heron_post:factory\n")
    try:
        assert type(build_providers(settings)["local"]).__name__ == "PigeonPost"
    finally:
        sys.modules.pop("heron_post", None)
