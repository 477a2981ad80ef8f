"""``report``: make the reports of a round, its index and, with ``--bundle``, one zip per
organisation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dwp_assess.cli.app import app, console, fail
from dwp_assess.cli.settings import engine, settings
from dwp_assess.cli.summaries import (
    print_bundle_summary,
    print_replaced_and_removed,
    print_report_summary,
)


@app.command()
def report(
    round_id: Annotated[str, typer.Option("--round", help="Round to report on.")],
    org: Annotated[
        list[str] | None,
        typer.Option(help="Only these organisations (rounds with a report per organisation)."),
    ] = None,
    team: Annotated[
        list[str] | None,
        typer.Option(help="Only these teams (rounds with a report per team, e.g. competences)."),
    ] = None,
    collab: Annotated[
        list[str] | None,
        typer.Option(
            help="Only these collaborations (rounds with a project plan per collaboration, "
            "e.g. data-sharing; ids as in collaborations.csv)."
        ),
    ] = None,
    jobs: Annotated[int, typer.Option(help="Reports made in parallel.")] = 1,
    out: Annotated[Path | None, typer.Option(help="Folder (default: reports/).")] = None,
    pdf: Annotated[bool, typer.Option(help="Also print A4 PDFs with Chromium.")] = False,
    lang: Annotated[
        str | None,
        typer.Option(help="nl, en, or both side by side: nl,en (default: the project's language)."),
    ] = None,
    retry_failed: Annotated[bool, typer.Option(help="Only rerun reports that failed.")] = False,
    force: Annotated[bool, typer.Option(help="Rerun reports that are up to date.")] = False,
    executor: Annotated[str, typer.Option(help="local or dask.")] = "local",
    scheduler: Annotated[str | None, typer.Option(help="dask scheduler address.")] = None,
    previous: Annotated[str | None, typer.Option(help="Round to compare with.")] = None,
    bundle: Annotated[
        bool, typer.Option(help="Also write one zip per organisation with only its own reports.")
    ] = False,
) -> None:
    """Make the report of every organisation (team, collaboration) of a round, and the round's
    index (for the analyst); with --bundle also one zip per organisation, ready to send (a
    collaboration's plan goes to each of its members)."""
    from dwp_assess.reports.options import ReportOptions
    from dwp_assess.reports.run import generate_reports
    from dwp_assess.reports.unit_choice import choose_units

    eng = engine()
    units = choose_units(eng, round_id, org, team, collab)
    options = ReportOptions(
        round_id,
        out,
        units,
        lang or settings().language,
        pdf=pdf,
        jobs=jobs,
        executor=executor,
        scheduler=scheduler,
        force=force,
        retry_failed=retry_failed,
        previous_round_id=previous,
        bundle=bundle,
    )
    summary = generate_reports(eng, options, settings(), console)
    print_report_summary(summary)
    print_replaced_and_removed(summary)
    print_bundle_summary(summary.bundles)
    if summary.failed:
        fail(f"{summary.failed} report(s) failed; see {summary.index}", code=1)
