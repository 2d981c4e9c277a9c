"""Channel providers: the built-in ones plus every factory registered under the
``dunwell.channel_providers`` entry-point group, built from settings.

A plugin package adds, in its ``pyproject.toml``::

    [project.entry-points."dunwell.channel_providers"]
    my_sms = "my_package.sms:factory"

where ``factory(config: ProviderConfig) -> ChannelProvider``; then
``DUNWELL_SMS_PROVIDER=my_sms`` chooses it. An entry point with a built-in's name
replaces the built-in.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping
from importlib.metadata import entry_points

from dunwell.channels.errors import PROVIDER_UNKNOWN
from dunwell.channels.model import MessageChannel, ProviderConfig
from dunwell.channels.ports import ENTRY_POINT_GROUP, ChannelProvider, ProviderFactory
from dunwell.core.errors import InvalidInput
from dunwell.providers import email_http, local, sms_http
from dunwell.settings import Settings

BUILTIN_FACTORIES: dict[str, ProviderFactory] = {
    "local": local.factory,
    "sms_http": sms_http.factory,
    "email_http": email_http.factory,
}


def available() -> list[str]:
    """Every provider name: built-ins and entry points (nothing is imported)."""
    return sorted({*BUILTIN_FACTORIES, *(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))})


#: The factories found so far, by the search path they were found on and the name:
#: scanning every installed distribution's entry points costs milliseconds, and the
#: day loop builds its providers twice a day.
_FOUND: dict[tuple[tuple[tuple[str, int | None], ...], str], ProviderFactory] = {}
_FOUND_LOCK = threading.Lock()
#: Lookups remembered at the most (a process that keeps changing its path starts over).
_FOUND_MAX = 64


def _search_path() -> tuple[tuple[str, int | None], ...]:
    """Every ``sys.path`` entry with its modification time: installing or removing a
    distribution changes the directory it lands in, and adding a path changes the
    tuple, so a lookup made before either is not reused (the rule
    :mod:`importlib.metadata` itself caches directory listings by)."""
    out: list[tuple[str, int | None]] = []
    for entry in sys.path:
        try:
            mtime: int | None = os.stat(entry or ".").st_mtime_ns
        except (OSError, ValueError):
            mtime = None
        out.append((entry, mtime))
    return tuple(out)


def factory_for(name: str) -> ProviderFactory:
    """The factory registered as ``name``: an entry point of that name, else a
    built-in. Only this plugin is imported, so a broken plugin nobody chose is harmless.
    The answer is remembered until the search path or a directory on it changes."""
    key = (_search_path(), name)
    with _FOUND_LOCK:
        found = _FOUND.get(key)
    if found is not None:
        return found
    factory = _lookup(name)
    with _FOUND_LOCK:
        if len(_FOUND) >= _FOUND_MAX:
            _FOUND.clear()
        _FOUND[key] = factory
    return factory


def clear_cache() -> None:
    """Forget every factory found (the next lookup scans the entry points again)."""
    with _FOUND_LOCK:
        _FOUND.clear()


def _lookup(name: str) -> ProviderFactory:
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=name):
        loaded: ProviderFactory = ep.load()
        return loaded
    if name in BUILTIN_FACTORIES:
        return BUILTIN_FACTORIES[name]
    raise InvalidInput(
        f"channel provider {name!r} is not registered; use one of {', '.join(available())} "
        f"or install a plugin that registers it under the {ENTRY_POINT_GROUP!r} entry points",
        code=PROVIDER_UNKNOWN, provider=name)


def provider_name(settings: Settings, channel: MessageChannel) -> str:
    """The provider name the settings choose for ``channel``."""
    return {
        MessageChannel.SMS: settings.sms_provider,
        MessageChannel.EMAIL: settings.email_provider,
        MessageChannel.IN_APP: settings.in_app_provider,
        MessageChannel.VOICE: settings.voice_provider,
    }[channel]


def config_for(settings: Settings, name: str) -> ProviderConfig:
    """The configuration of provider ``name``: its channels and, for the HTTP ones,
    endpoint, token, timeout and sender."""
    chosen = frozenset(c for c in MessageChannel if provider_name(settings, c) == name)
    base = ProviderConfig(name=name, channels=chosen, outbox_dir=str(settings.outbox_dir))
    if name == "sms_http":
        return ProviderConfig(name, chosen, settings.sms_http_base_url, settings.sms_http_token,
                              settings.sms_http_timeout_seconds, settings.sms_http_sender,
                              str(settings.outbox_dir))
    if name == "email_http":
        return ProviderConfig(name, chosen, settings.email_http_base_url,
                              settings.email_http_token, settings.email_http_timeout_seconds,
                              settings.email_http_sender, str(settings.outbox_dir))
    return base


def build_providers(settings: Settings, *,
                    factories: Mapping[str, ProviderFactory] | None = None,
                    ) -> dict[str, ChannelProvider]:
    """One provider per name the settings choose, keyed by name; ``factories``
    replaces the registry (for tests)."""
    names = sorted({provider_name(settings, c) for c in MessageChannel})
    out: dict[str, ChannelProvider] = {}
    for name in names:
        if factories is None:
            factory = factory_for(name)
        elif name in factories:
            factory = factories[name]
        else:
            raise InvalidInput(f"channel provider {name!r} is not among "
                               f"{', '.join(sorted(factories))}", code=PROVIDER_UNKNOWN,
                               provider=name)
        out[name] = factory(config_for(settings, name))
    return out
