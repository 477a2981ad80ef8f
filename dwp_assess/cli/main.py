"""The ``dwp-assess`` entry point: registers every command (in the order ``--help`` lists
them) and turns the errors a user can cause into one line."""

from __future__ import annotations

import sys
import warnings

from rich.markup import escape

from dwp_assess.cli.app import app, err_console
from dwp_assess.cli.settings import state

# importing a command module registers its commands: --help lists them in this order
# isort: off
from dwp_assess.cli import project_folder, registry_rounds, data_files, sample  # noqa: F401
from dwp_assess.cli import forms, reports, plans  # noqa: F401
# isort: on


def _plain_warning(message, category, filename, lineno, line=None) -> str:
    """A warning as one line for the person at the terminal, without our source's path."""
    return f"warning: {message}\n"


def user_error(exc: Exception) -> str | None:
    """The one line to print for an error the user can cause and fix, ``None`` for a bug.

    Our own errors are ``ValueError``s (``ProjectError``, ``FileProblem``, ``InstrumentError`` …)
    or the store's ``StoreError``; an ``OSError`` (a folder without write permission, a file
    where a folder should be) is said as the path and the system's reason."""
    if isinstance(exc, OSError):
        return f"{exc.filename}: {exc.strerror}" if exc.filename and exc.strerror else str(exc)
    if isinstance(exc, ValueError):
        return str(exc)
    store = sys.modules.get("dwp_assess.data.store")  # not loaded: it cannot have raised
    if store is not None and isinstance(exc, store.StoreError):
        return str(exc)
    return None


def main() -> None:
    """Entry point: run the app, turning user errors into one line unless ``--debug``.

    Typer runs in its standalone mode: it prints usage mistakes itself (unknown option or
    command with a "did you mean", missing argument, a bare ``dwp-assess``) with exit code 2,
    whichever copy of click's exceptions the installed typer uses, and exits with a
    command's ``typer.Exit`` code. What reaches this function is an error of a command."""
    warnings.formatwarning = _plain_warning
    try:
        app()
    except Exception as exc:  # noqa: BLE001 - the one place that decides how errors look
        if state.debug:
            raise
        message = user_error(exc)
        if message is not None:
            err_console.print(
                f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True
            )
            sys.exit(2)
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))} "
            "(run again with --debug for the traceback)",
            highlight=False,
        )
        sys.exit(1)
