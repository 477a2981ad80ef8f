"""The ``dwp-assess`` Typer app: its consoles, the top-level options (``--db``,
``--project``, ``--debug``, ``--version``) and their callback, and ``fail``, the one
clear error line every command ends with when the user can fix the problem."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from dwp_assess import __version__
from dwp_assess.cli.settings import resolve, state, use_project

app = typer.Typer(
    help="dwp-assess: self-assessment rounds on data competences and data-strategy readiness.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL (default: DWP_DATABASE_URL, else the project's store)."
    ),
]
ProjectOption = Annotated[
    Path | None,
    typer.Option(
        "--project",
        help="Project folder (default: DWP_PROJECT, else the nearest dwp.toml upwards).",
    ),
]


def _print_version(value: bool) -> None:
    """``--version``: print and stop before a command is looked for (an eager option)."""
    if value:
        console.print(f"dwp-assess {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    db: DbOption = None,
    project_dir: ProjectOption = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version."
        ),
    ] = False,
) -> None:
    state.db = db
    state.debug = debug
    use_project(resolve(project_dir, db))


def fail(message: str, code: int = 2) -> None:
    """Print one clear error line and exit."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
