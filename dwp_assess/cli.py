"""``dwp-assess`` command line: parses arguments and calls the package's modules.

Thin on purpose: every command delegates to a module function that is tested on
its own. Errors that users can cause (bad files, unknown rounds) are printed as
one clear line with exit code 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dwp_assess import __version__, store
from dwp_assess.questionnaire import InstrumentError, instrument_files, validate_files

app = typer.Typer(
    help="dwp-assess: self-assessment rounds on data competences and data-strategy readiness.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

USER_ERRORS: tuple[type[BaseException], ...] = (
    InstrumentError,
    store.StoreError,
    FileNotFoundError,
)


class State:
    """Options shared by all commands (set by the top-level callback)."""

    db: str | None = None
    debug: bool = False


state = State()

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: DWP_DATABASE_URL or data/dwp.sqlite)."),
]


@app.callback()
def _main(
    db: DbOption = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    if version:
        console.print(f"dwp-assess {__version__}")
        raise typer.Exit()
    state.db = db
    state.debug = debug


def engine():
    """The store selected by ``--db`` / ``DWP_DATABASE_URL`` / the default."""
    return store.connect(state.db)


def fail(message: str, code: int = 2) -> None:
    """Print one clear error line and exit."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


# --- foundation: validate, status ---------------------------------------------


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Instrument files (default: questionnaires/).")
    ] = None,
) -> None:
    """Check instrument YAML files and list every problem with file and path."""
    paths = paths or instrument_files()
    problems = validate_files(paths)
    for problem in problems:
        err_console.print(problem, highlight=False, markup=False)
    if problems:
        fail(f"{len(problems)} problem(s) in {len(paths)} file(s)")
    console.print(f"{len(paths)} instrument file(s) valid")


@app.command()
def status() -> None:
    """Show rounds, organisations and response counts in the store."""
    eng = engine()
    rounds = store.list_rounds(eng)
    counts = store.response_counts(eng)
    orgs = store.organisations(eng)
    console.print(f"database: {eng.url.render_as_string(hide_password=True)}")
    console.print(f"organisations: {len(orgs)}, teams: {len(store.teams(eng))}")
    table = Table("round", "instrument", "period", "organisations", "responses", "closed")
    for r in rounds:
        sub = counts[counts["round_id"] == r.id]
        table.add_row(
            r.id,
            f"{r.instrument_id} v{r.instrument_version}",
            r.period,
            str(len(sub)),
            str(int(sub["responses"].sum())),
            "yes" if r.closed_at else "no",
        )
    console.print(table if rounds else "no rounds yet: run `dwp-assess demo` or `import`")


# --- import / export / template / registry / round (importers, export) --------

# --- sample data and demo --------------------------------------------------------

# --- collection (forms) ----------------------------------------------------------

# --- reports -----------------------------------------------------------------------


def main() -> None:
    """Entry point: run the app, turning user errors into one line unless ``--debug``."""
    try:
        app(standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - the one place that decides how errors look
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if state.debug:
            raise
        if isinstance(exc, USER_ERRORS):
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
            sys.exit(2)
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc} "
            "(run again with --debug for the traceback)",
            highlight=False,
        )
        sys.exit(1)
