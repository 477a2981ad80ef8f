"""Commands on the project folder: ``init`` makes one, ``validate`` checks its instrument
files and recommendation rules, ``status`` shows its rounds, response and import batches."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from dwp_assess import locale, project
from dwp_assess.cli.app import app, console, err_console, fail
from dwp_assess.cli.settings import engine, settings, state


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder of the new project.")],
    owner: Annotated[str, typer.Option(help="Organisation that runs the project.")] = "",
    db: Annotated[
        str | None, typer.Option("--store", help="Store URL (default: data/dwp.sqlite).")
    ] = None,
    lang: Annotated[str, typer.Option(help="Default language: nl or en.")] = "nl",
    min_group_size: Annotated[
        int, typer.Option(help="Smallest group any figure may cover.")
    ] = project.DEFAULT_MIN_GROUP_SIZE,
) -> None:
    """Make a project folder: dwp.toml, the folders of a round and a README on what goes where."""
    made = project.create(directory, owner, db, lang, min_group_size)
    console.print(
        f"project made: {made.root / project.PROJECT_FILE}", highlight=False, markup=False
    )
    console.print(
        f"next: cd {shlex.quote(str(directory))}, replace the examples in registry/ (README.md there explains every column) and run `dwp-assess registry import registry/organisations.csv registry/teams.csv`",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Instrument files (default: the packaged and the project's own)."),
    ] = None,
) -> None:
    """Check instrument YAML files (and, without arguments, the recommendation rules) and list
    every problem with file and path."""
    from dwp_assess.instruments.loading import instrument_files, mapping_files, validate_files
    from dwp_assess.instruments.model import InstrumentError

    checks_rules = not paths
    if state.problem:
        raise state.problem
    paths = paths or instrument_files() + mapping_files()
    problems = validate_files(paths)
    without: list[str] = []
    if checks_rules and not problems:  # the recommendation rules, against the instruments
        from dwp_assess.analysis.recommend import load_rules, missing_rules
        from dwp_assess.instruments.loading import available_instruments

        try:
            without = missing_rules(load_rules(), list(available_instruments().values()))
        except InstrumentError as exc:
            problems = exc.problems
    for problem in problems:
        err_console.print(problem, highlight=False, markup=False, soft_wrap=True)
    if problems:
        fail(f"{len(problems)} problem(s) in {len(paths)} file(s)")
    for note in without:  # no error: such reports say they give no advice
        console.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)
    console.print(
        f"{len(paths)} instrument and mapping file(s) valid"
        + (
            f"; {len(without)} scored instrument version(s) without recommendation rules"
            if without
            else ""
        )
    )


@app.command()
def status(
    round_id: Annotated[
        str | None, typer.Option("--round", help="Only this round (default: every round).")
    ] = None,
) -> None:
    """Show rounds, per organisation the responses against the number invited, the response
    rate and quarantined rows, and the import batches (for `import --undo`)."""
    from dwp_assess.data import store
    from dwp_assess.data.batches import list_batches
    from dwp_assess.data.status import UNRECOGNISED, organisation_status

    eng = engine()
    rounds = [store.get_round(eng, round_id)] if round_id else store.list_rounds(eng)
    console.print(f"project: {settings().root}", highlight=False)
    console.print(f"database: {eng.url.render_as_string(hide_password=True)}")
    console.print(f"organisations: {len(store.organisations(eng))}, teams: {len(store.teams(eng))}")
    if not rounds:
        console.print("no rounds yet: run `dwp-assess demo` or `import`")
        return
    for r in rounds:
        orgs = organisation_status(eng, r.id)
        responses = int(orgs["responses"].sum())
        invited = orgs["invited"].sum() if orgs["invited"].notna().any() else None
        state_ = f"closed {r.closed_at:%Y-%m-%d}" if r.closed_at else "open"
        console.print(
            f"round {r.id} ({r.instrument_id} v{r.instrument_version}, period {r.period}, {state_}): "
            f"{int((orgs['responses'] > 0).sum())} organisation(s), {responses} response(s) of "
            f"{_count(invited)} invited ({_rate(responses, invited)}), "
            f"{int(orgs['quarantined'].sum())} row(s) quarantined",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        _print_organisation_status(orgs, UNRECOGNISED)
    _print_batches(list_batches(eng, round_id))


# the column of ``status`` tables that may wrap (names); the rest keep to one line
WRAPPING = {"name"}


def _table(*columns: str) -> Table:
    """A ``status`` table whose ids and figures stay on one line, however narrow the terminal."""
    table = Table(
        box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False, show_edge=False, collapse_padding=True
    )
    for column in columns:
        wraps = column in WRAPPING
        table.add_column(
            column, no_wrap=not wraps, overflow="fold", min_width=12 if wraps else None
        )
    return table


def _count(value) -> str:
    return locale.MISSING if value is None or _isna(value) else str(int(value))


def _rate(responses, invited) -> str:
    if invited is None or _isna(invited) or not invited:
        return locale.MISSING
    return locale.percent(responses / invited, "en")


def _isna(value) -> bool:
    """``pandas.isna`` for one value, without importing pandas before it is needed."""
    import pandas as pd

    return bool(pd.isna(value))


def _print_organisation_status(orgs, unrecognised: str) -> None:
    """Per organisation of a round: responses, invited, response rate, quarantined rows."""
    table = _table("organisation", "responses", "invited", "rate", "quarantined", "name")
    for org in orgs.itertuples(index=False):
        name = (
            "(organisation not recognised)"
            if org.organisation_id == unrecognised
            else (org.name or "")
        )
        table.add_row(
            escape(org.organisation_id),
            str(org.responses),
            _count(org.invited),
            _rate(org.responses, org.invited),
            str(org.quarantined),
            escape(name),
        )
    if len(orgs):
        console.print(table)


def _print_batches(batches) -> None:
    """The import batches, one line each (never cut, whatever the terminal's width): number
    (for `import --undo`), when, round, file and format, and what the import did."""
    if not len(batches):
        return
    console.print("import batches (undo one with `dwp-assess import --undo BATCH`):", markup=False)
    for b in batches.itertuples(index=False):
        undone = (
            ""
            if b.undone_at is None or _isna(b.undone_at)
            else f", undone {b.undone_at:%Y-%m-%d %H:%M}"
        )
        closed = ", into the closed round" if b.allowed_closed else ""
        console.print(
            f"  batch {b.id}  {b.imported_at:%Y-%m-%d %H:%M}  {b.round_id}  {b.source_file} ({b.format}): "
            f"{b.stored} stored, {b.already_present} already present, {b.quarantined} quarantined{closed}{undone}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
