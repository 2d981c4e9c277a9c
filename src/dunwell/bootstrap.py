"""The composition root: settings -> engine -> migrated schema -> the services' context.

The only module that builds the store for the application; the channel, letter and
routing providers are chosen in :mod:`dunwell.providers` registries named here too.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dunwell.app import logs
from dunwell.app.context import Dunwell, Providers
from dunwell.core.errors import InvalidInput
from dunwell.providers.payment_sandbox import SandboxGateway
from dunwell.settings import Settings
from dunwell.store import crypto
from dunwell.store.db import at_head, make_engine, upgrade
from dunwell.store.errors import (
    DATABASE_ERRORS,
    DatabaseFailure,
    DbFailure,
    database_failure,
    with_connect_timeout,
)
from dunwell.store.uow import Database

if TYPE_CHECKING:  # the adapters' types; each adapter's module (and the library behind
    # it: ReportLab, Jinja2, httpx, the routing solvers) is imported when first used,
    # so a command that only reads the book starts without them
    from dunwell.channels.document import Document
    from dunwell.channels.model import MessageChannel
    from dunwell.channels.ports import ChannelProvider
    from dunwell.field.routing import Router
    from dunwell.providers.templating import TemplateBook

#: The edges (cli, api) classify database failures with these, never the store's
#: driver directly.
__all__ = ["DATABASE_ERRORS", "DatabaseFailure", "DbFailure", "Dunwell", "bootstrap",
           "database_failure", "is_development", "providers_for", "router_for",
           "secret_problems", "with_connect_timeout"]

#: Whether settings leave personal data under development keys, and what to set (for
#: ``serve``, which refuses to start on them outside development mode).
is_development = crypto.is_development
secret_problems = crypto.secret_problems


def bootstrap(settings: Settings | None = None, *, db_url: str | None = None) -> Dunwell:
    settings = settings or Settings()
    if db_url is not None:
        settings = settings.model_copy(update={"db_url": db_url})
    logs.configure(fmt=settings.log_format, level=settings.log_level)
    url = settings.db_url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    # The database is reached (an invalid URL or an unreachable server fails here, as
    # the one line the edges print, before anything is logged), then the keyring is
    # set up: a migration may seal values with it.
    current = at_head(engine)
    crypto.configure(settings)  # one keyring per process: the columns seal and open with it
    if not current:
        upgrade(engine)
    return Dunwell(settings, Database(engine), providers_for(settings))


def providers_for(settings: Settings) -> Providers:
    """The adapters ``settings`` choose."""

    def pdf(doc: Document) -> bytes:
        from dunwell.providers.pdf import render_pdf

        return render_pdf(doc, font_path=settings.cjk_font)

    bureau = None
    if settings.bureau_file:
        from dunwell.providers.bureau_file import FileBureau

        bureau = FileBureau(settings.bureau_file)
    return Providers(templates=_templates, pdf=pdf, channels=_channels,
                     provider_name=_provider_name, bureau=bureau,
                     payments=SandboxGateway())


def _templates() -> TemplateBook:
    from dunwell.providers.templating import builtin_templates

    return builtin_templates()


def _channels(settings: Settings) -> dict[str, ChannelProvider]:
    from dunwell.providers.registry import build_providers

    return build_providers(settings)


def _provider_name(settings: Settings, channel: MessageChannel) -> str:
    from dunwell.providers.registry import provider_name

    return provider_name(settings, channel)


def router_for(solver: str, *, time_limit_s: int = 10) -> Router:
    """The field visit router behind ``--solver``: ``vroom`` (the default, see
    docs/field.md for the measurement that chose it), ``ortools`` or ``nearest``."""
    if solver == "nearest":
        from dunwell.field.routing import NearestNeighbourRouter

        return NearestNeighbourRouter()
    if solver == "vroom":
        from dunwell.providers.routing_vroom import VroomRouter

        if time_limit_s <= 0:
            raise InvalidInput("--time-limit must be at least 1 second",
                               code="time_limit_must_be_positive")
        return VroomRouter(time_limit_s=time_limit_s)
    if solver == "ortools":
        from dunwell.providers.routing_ortools import OrToolsRouter

        if time_limit_s <= 0:
            raise InvalidInput("--time-limit must be at least 1 second",
                               code="time_limit_must_be_positive")
        return OrToolsRouter(time_limit_s=time_limit_s)
    raise InvalidInput(f"unknown solver {solver!r}; use vroom, ortools or nearest",
                       code="solver_must_be_known")
