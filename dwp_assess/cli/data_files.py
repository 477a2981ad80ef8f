"""Data files in and out: ``import`` of survey exports (and ``--undo`` of a batch),
``export`` and ``archive`` of a round, and the import ``template`` of an instrument."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from dwp_assess.cli.app import app, console, err_console, fail
from dwp_assess.cli.settings import engine, settings, state
from dwp_assess.cli.summaries import print_import_summary


@app.command("import")
def import_(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Survey exports (CSV or XLSX).", show_default=False)
    ] = None,
    round_id: Annotated[str | None, typer.Option("--round", help="Round to import into.")] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="template, msforms, limesurvey, kobo.")
    ] = None,
    mapping: Annotated[Path | None, typer.Option(help="Mapping YAML for other files.")] = None,
    strict: Annotated[bool, typer.Option(help="Reject a whole file when a row is bad.")] = False,
    instrument: Annotated[str | None, typer.Option(help="Create the round: instrument.")] = None,
    period: Annotated[str | None, typer.Option(help="Create the round: period.")] = None,
    quarantine_dir: Annotated[Path | None, typer.Option(help="Where quarantine CSVs go.")] = None,
    undo: Annotated[
        int | None,
        typer.Option(
            help="Undo import batch BATCH (see `status`): remove all it stored.", metavar="BATCH"
        ),
    ] = None,
    allow_closed: Annotated[
        bool, typer.Option(help="Import into (or undo in) a closed round: late paper forms.")
    ] = False,
) -> None:
    """Import survey exports; bad rows are quarantined with a reason, good rows stored. Every
    file is one batch (its number is printed and `status` lists it); `--undo BATCH` removes one.

    Every file is imported; a file that cannot be used is stored nothing of, and a file
    whose rows were all quarantined stores nothing either: the command ends with the list of
    such files (exit code 2)."""
    if undo is not None:
        return _undo_import(undo, files, allow_closed)
    if not files or round_id is None:
        fail(
            "import needs FILES and --round ROUND (or --undo BATCH); see `dwp-assess import --help`"
        )
    from dwp_assess.data import store
    from dwp_assess.data.importers import import_file, resolve_round
    from dwp_assess.data.municipal_codes import MunicipalCodeWarning
    from dwp_assess.data.tables import FileProblem

    eng = engine()
    info, _, created = resolve_round(eng, round_id, instrument, period)
    if created:
        console.print(f"created round {round_id} ({instrument}, period {period})", markup=False)
    try:
        store.check_open(info, allow_closed)
    except store.StoreError as exc:
        fail(str(exc))
    refused, all_quarantined = [], []
    for path in files:
        try:
            with warnings.catch_warnings():  # the summary lists them, with the file
                warnings.simplefilter("ignore", MunicipalCodeWarning)
                summary = import_file(
                    eng, path, round_id, fmt, mapping, strict, quarantine_dir, allow_closed
                )
        except FileProblem as exc:
            if state.debug:
                raise
            err_console.print(
                f"[bold red]refused:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
            )
            refused.append(str(exc))
            continue
        print_import_summary(summary)
        if summary.all_refused:
            all_quarantined.append(
                f"{path}: all {summary.quarantined} row(s) quarantined, nothing stored (batch {summary.batch_id}; reasons in {summary.quarantine_csv})"
            )
    problems = refused + all_quarantined
    if problems:
        listed = "".join(f"\n  {problem}" for problem in problems)
        fail(f"{len(problems)} of {len(files)} file(s) refused, nothing stored from them:{listed}")


def _undo_import(batch_id: int, files: list[Path] | None, allow_closed: bool) -> None:
    """``import --undo BATCH``: remove everything one import batch stored."""
    from dwp_assess.data import store
    from dwp_assess.data.batches import undo_batch

    if files:
        fail("--undo takes a batch number, no files")
    try:
        done = undo_batch(engine(), batch_id, allow_closed)
    except store.StoreError as exc:
        fail(str(exc))
    console.print(
        f"undid batch {done.batch_id} ({done.source_file}, round {done.round_id}): removed "
        f"{done.responses} response(s) with {done.answers} answer(s), {done.respondents} "
        f"respondent(s), {done.quarantined} quarantined row(s) and {done.organisations} "
        "organisation(s) that no longer answer in the round",
        markup=False,
        highlight=False,
    )


@app.command()
def export(
    round_id: Annotated[str, typer.Option("--round", help="Round to export.")],
    out: Annotated[
        Path | None, typer.Option(help="Folder to write to (default: the project's exports/).")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="Comma-separated: csv,parquet,sav.")
    ] = "csv,parquet,sav",
) -> None:
    """Export a round: long and wide tables and a codebook (CSV, Parquet, SPSS .sav)."""
    from dwp_assess.data.export import export_round

    out = out or settings().folders["exports"]
    for path in export_round(engine(), round_id, out, tuple(f.strip() for f in fmt.split(","))):
        console.print(f"written: {path}", highlight=False)


@app.command()
def archive(
    round_id: Annotated[str, typer.Option("--round", help="Round to package.")],
    out: Annotated[
        Path | None, typer.Option(help="Folder to write to (default: the project's exports/).")
    ] = None,
    include_free_text: Annotated[
        bool, typer.Option(help="Also free text marked for researchers only.")
    ] = False,
) -> None:
    """Package a round for a data archive (DANS): respondent and organisation files as CSV,
    SPSS .sav and Stata .dta, a codebook and a Frictionless datapackage.json."""
    from dwp_assess.analysis.archive import export_archive

    out = out or settings().folders["exports"]
    for path in export_archive(engine(), round_id, out, include_free_text):
        console.print(f"written: {path}", highlight=False)


@app.command()
def template(
    instrument: Annotated[str, typer.Option(help="Instrument id.")],
    out: Annotated[
        Path | None,
        typer.Option(help="Folder to write to (default: the project's imports/, else here)."),
    ] = None,
    version: Annotated[
        int | None, typer.Option(help="Instrument version (default: newest).")
    ] = None,
) -> None:
    """Write the import template of an instrument (CSV and XLSX with instructions), where the
    filled-in files are imported from: the project's imports/ folder."""
    from dwp_assess.data.import_templates import write_templates
    from dwp_assess.instruments.loading import get_instrument

    if out is None:
        out = state.settings.folders["imports"] if state.settings else Path(".")
    for path in write_templates(get_instrument(instrument, version), out):
        console.print(f"written: {path}", highlight=False, markup=False)
