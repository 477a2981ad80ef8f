"""``registry import`` (organisations, teams, collaborations) and ``round create``,
``list``, ``close`` and ``reopen``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dwp_assess.cli.app import app, console
from dwp_assess.cli.settings import engine

registry_app = typer.Typer(
    help="Organisations, teams and collaborations taking part.", no_args_is_help=True
)
round_app = typer.Typer(help="Rounds: one instrument version in one period.", no_args_is_help=True)
app.add_typer(registry_app, name="registry")
app.add_typer(round_app, name="round")


REGISTRY_IMPORT_HELP = (
    "Add or update organisations (and teams) from CSV files. `init` puts examples of the three "
    "files in registry/, with every column explained in registry/README.md.\n\n"
    "organisations: id, name, kind, cbs_code, size_class, urbanisation, province, invited. "
    "teams: id, organisation_id, name, invited.\n\n"
    "Ids of organisations and teams become file names and links: lowercase letters a-z, digits, "
    "'-' and '_', starting with a letter or digit, at most 64 characters; no dots, slashes, "
    "spaces or capitals, and no two ids that differ only in case.\n\n"
    "kind: gemeente, provincie or other. cbs_code (optional): GM + 4 digits for a gemeente "
    "(GM0513), PV + 2 digits for a provincie (PV26), WS + 4 digits for a water board of kind "
    "other (WS0155).\n\n"
    "collaborations (--collaborations FILE): id, title, issue, lead_organisation_id, members, with "
    "members the ids of at least two registered organisations separated by ';' (the lead among "
    "them).\n\n"
    "A file with problems is refused whole, every problem named with its row; nothing is stored."
)


@registry_app.command("import", help=REGISTRY_IMPORT_HELP)
def registry_import(
    organisations: Annotated[
        Path,
        typer.Argument(
            help="CSV: id, name, kind, cbs_code, size_class, urbanisation, province, invited"
        ),
    ],
    teams: Annotated[
        Path | None, typer.Argument(help="CSV: id, organisation_id, name, invited")
    ] = None,
    round_id: Annotated[
        str | None,
        typer.Option(
            "--round",
            help="Also update this existing round's copy (CBS codes, size classes, invited).",
        ),
    ] = None,
    collaborations: Annotated[
        Path | None,
        typer.Option(
            help="CSV: id, title, issue, lead_organisation_id, members (ids ';'-separated)."
        ),
    ] = None,
) -> None:
    """Add or update organisations (and teams) from CSV files (see ``REGISTRY_IMPORT_HELP``).

    Rounds created afterwards take the number invited (for response rates) from the
    registry; use --round to update a round created before."""
    from dwp_assess.data.registry import import_registry

    changed = import_registry(engine(), organisations, teams, round_id, collaborations)
    console.print(
        f"organisations changed: {changed['organisations']}, teams changed: {changed['teams']}, "
        f"collaborations changed: {changed['collaborations']}"
    )
    if round_id is not None:
        console.print(f"round {round_id}: {changed['round']} organisation(s) updated")


@round_app.command("create")
def round_create(
    instrument: Annotated[str, typer.Option(help="Instrument id, e.g. data-strategy.")],
    period: Annotated[str, typer.Option(help="Period, e.g. 2026-H1.")],
    version: Annotated[
        int | None, typer.Option(help="Instrument version (default: newest).")
    ] = None,
    round_id: Annotated[
        str | None,
        typer.Option(
            "--id",
            help="Round id: lowercase letters, digits, '-', '_', at most 64 characters "
            "(default: INSTRUMENT-PERIOD in that form, e.g. data-strategy-2026-najaar-zh).",
        ),
    ] = None,
) -> None:
    """Create a round pinned to an instrument version and its content hash."""
    from dwp_assess.data import store
    from dwp_assess.instruments.loading import get_instrument

    info = store.create_round(engine(), get_instrument(instrument, version), period, round_id)
    console.print(
        f"round {info.id}: {info.instrument_id} v{info.instrument_version}, period {info.period}",
        markup=False,
    )


@round_app.command("list")
def round_list() -> None:
    """List the rounds in the store."""
    from dwp_assess.data import store

    for r in store.list_rounds(engine()):
        closed = f"\tclosed {r.closed_at:%Y-%m-%d %H:%M}" if r.closed_at else ""
        console.print(
            f"{r.id}\t{r.instrument_id} v{r.instrument_version}\t{r.period}\thash {r.instrument_hash[:12]}{closed}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@round_app.command("close")
def round_close(round_id: Annotated[str, typer.Argument(help="The round to close.")]) -> None:
    """Close a round: the form and imports refuse it (imports unless --allow-closed)."""
    from dwp_assess.data import store

    info = store.close_round(engine(), round_id)
    console.print(
        f"round {info.id} closed on {info.closed_at:%Y-%m-%d %H:%M}; the form and imports refuse it",
        markup=False,
    )


@round_app.command("reopen")
def round_reopen(round_id: Annotated[str, typer.Argument(help="The round to open again.")]) -> None:
    """Open a closed round again: the form and imports accept it."""
    from dwp_assess.data import store

    info = store.reopen_round(engine(), round_id)
    console.print(f"round {info.id} is open: the form and imports accept it", markup=False)
