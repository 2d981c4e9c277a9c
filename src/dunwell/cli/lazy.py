"""Commands that are imported only when they run.

``dunwell --help`` lists every command with the first paragraph of its help; to print
that list without importing the application layer (SQLAlchemy, FastAPI, LightGBM,
OR-Tools, pandas, ...), the root group knows each command by a :class:`Lazy` entry:
its name, where it lives and that first paragraph. The module is imported when the
command is run or asked for its own help. ``tests/cli/test_cli_start.py`` checks that
each entry's help is the command's own.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

import typer
from typer import _click as click  # Typer's own copy of Click: its groups' classes
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class Lazy:
    """One command or command group of the root: ``target`` is ``module:attribute``,
    a function (a command) or a ``typer.Typer`` (a group); ``help`` is the first
    paragraph of its help, as the root's command list shows it."""

    name: str
    target: str
    help: str
    context_settings: dict[str, Any] | None = field(default=None)

    def load(self) -> click.Command:
        """Import the module and build the command as ``app.command`` or
        ``app.add_typer`` would have."""
        module_name, _, attribute = self.target.partition(":")
        obj = getattr(importlib.import_module(module_name), attribute)
        holder = typer.Typer()
        if isinstance(obj, typer.Typer):
            holder.add_typer(obj, name=self.name)
        else:
            holder.command(self.name, context_settings=self.context_settings)(obj)
        holder.callback()(_no_op)
        group = cast(TyperGroup, typer.main.get_command(holder))
        return group.commands[self.name]


def _no_op() -> None:
    """Makes the holder a group, so that its one command keeps its name."""


class _Listed(TyperCommand):
    """What the root's command list shows of a command that is not imported yet."""

    def __init__(self, lazy: Lazy) -> None:
        super().__init__(lazy.name, help=lazy.help)
        self.lazy = lazy


class LazyGroup(TyperGroup):
    """A Typer group whose ``lazy`` commands are imported on first use: its own help
    lists them from their entries; running one, or anything else that asks for it,
    imports it. Commands registered the usual way come after them."""

    lazy: ClassVar[tuple[Lazy, ...]] = ()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        eager = dict(self.commands)
        self.commands = {entry.name: _Listed(entry) for entry in self.lazy}
        self.commands.update(eager)
        self._listing = False

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        if isinstance(command, _Listed) and not self._listing:
            command = self.commands[cmd_name] = command.lazy.load()
        return command

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
