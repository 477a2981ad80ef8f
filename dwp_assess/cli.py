"""``dwp-assess`` command line: parses arguments and calls the package's modules.

Thin on purpose: every command delegates to a module function that is tested on
its own. Errors that users can cause (bad files, unknown rounds) are printed as
one clear line with exit code 2; ``--debug`` shows the traceback instead.

Commands work in a project folder (``dwp.toml``, see ``dwp_assess.project``), found from
the working directory upwards or given by ``--project`` / ``DWP_PROJECT``; ``init``,
``demo``, ``validate``, ``template``, ``export-form`` and ``sample`` need none.
"""

from __future__ import annotations

import shlex
import sys
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dwp_assess import __version__, ids, locale, project

# Heavy libraries (pandas, SQLAlchemy, plotly, papermill, the instrument models) are imported
# inside the commands that use them, so `--help`, `--version`, `init` and a mistyped option
# answer at once (benchmarks/bench_startup.py; tests/test_cli_usage.py checks the imports).

app = typer.Typer(
    help="dwp-assess: self-assessment rounds on data competences and data-strategy readiness.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


class State:
    """Options shared by all commands (set by the top-level callback), and the project's
    settings as the callback resolved them (or why there are none)."""

    db: str | None = None
    debug: bool = False
    settings: project.Settings | None = None
    problem: project.ProjectError | None = None


state = State()

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
    use_project(_resolve(project_dir, db))


def _resolve(project_dir: Path | None, db: str | None) -> project.Settings | None:
    """The project's settings, resolved once for the command: ``--project``, else
    ``DWP_PROJECT``, else the nearest ``dwp.toml`` upwards, with ``--db`` over its store.
    A project that cannot be used is kept as the error of the commands that need one."""
    state.problem = None
    try:
        found = project.current(given=project_dir.expanduser() if project_dir else None)
    except project.ProjectError as exc:
        state.problem, found = exc, None
    return replace(found, database_url=db) if found and db else found


def use_project(settings_: project.Settings | None) -> None:
    """Make ``settings_`` the project of this command: every layer below, report workers and
    kernels and the form server get them from here (``project.activate``)."""
    state.settings = project.activate(settings_)


def settings() -> project.Settings:
    """The project's settings; one clear error outside a project."""
    if state.settings is None:
        raise state.problem or project.ProjectError(
            f"no dwp-assess project in {Path.cwd()} or above (no {project.PROJECT_FILE}); make one "
            "with `dwp-assess init DIR`, or point to one with --project DIR / DWP_PROJECT"
        )
    return state.settings


def engine():
    """The store selected by ``--db`` / ``DWP_DATABASE_URL`` / the project's ``dwp.toml``;
    also with ``--db`` a command works in a project (its data and reports folders)."""
    from dwp_assess.data import store

    return store.connect(settings().database_url)


def engine_if_project():
    """The store when there is a project (or ``--db``), else ``None``: for commands that need none."""
    from dwp_assess.data import store

    if state.problem:
        raise state.problem
    return store.connect(state.db) if state.db else (engine() if state.settings else None)


def fail(message: str, code: int = 2) -> None:
    """Print one clear error line and exit."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


# --- project, validate, status ----------------------------------------------------


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


# --- import / export / template / registry / round (importers, export) --------

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


def print_import_summary(summary) -> None:
    """One table row per file: read, blank, stored, already present, quarantined, and why;
    the file's import batch."""
    table = Table("file", "format", "read", "blank", "stored", "already present", "quarantined")
    table.add_row(
        escape(summary.file.name),
        summary.format,
        str(summary.rows_read),
        str(summary.blank),
        str(summary.stored),
        str(summary.already_present),
        str(summary.quarantined),
    )
    console.print(table)
    console.print(
        f"  import batch {summary.batch_id} (undo: dwp-assess import --undo {summary.batch_id})",
        markup=False,
        highlight=False,
    )
    for reason, count in summary.reasons.most_common():
        console.print(f"  quarantined ({count}×): {reason}", highlight=False, markup=False)
    for warning in summary.warnings:  # stored all the same; said here, once, with the file
        console.print(f"  warning: {warning}", highlight=False, markup=False)
    if summary.quarantine_csv:
        console.print(
            f"  quarantined rows with reasons: {summary.quarantine_csv}",
            highlight=False,
            markup=False,
        )


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


# --- sample data and demo --------------------------------------------------------


@app.command()
def sample(
    out: Annotated[Path, typer.Option(help="Folder to write to.")] = Path("sample_data"),
    seed: Annotated[int, typer.Option(help="Seed of the generator.")] = 2026,
) -> None:
    """Regenerate the synthetic sample rounds (same seed, same files)."""
    from dwp_assess.data.sample_files import write_sample

    manifest = write_sample(out, seed)
    for r in manifest["rounds"]:
        console.print(f"{r['round_id']}: {r['respondents']} respondents, {len(r['files'])} files")
    console.print(f"written to {out}/ (synthetic data, seed {seed})")


@app.command()
def demo(
    directory: Annotated[
        Path | None,
        typer.Argument(
            help="Project folder to make or reuse (default: the current project, else dwp-demo/)."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Report folder (default: the project's reports/).")
    ] = None,
    jobs: Annotated[int, typer.Option(help="Reports made in parallel.")] = 2,
) -> None:
    """Run the main job on the synthetic sample: project, registry, import of every round, reports."""
    from dwp_assess.demo import demo_project, demo_reports, load_sample

    settings_ = demo_project(directory, state.settings)
    use_project(replace(settings_, database_url=state.db) if state.db else settings_)
    settings = state.settings
    console.print(f"project: {settings.root}", highlight=False)
    eng = engine()
    console.print(f"store: {eng.url.render_as_string(hide_password=True)}", highlight=False)
    summaries = load_sample(eng, settings.folders["imports"] / "sample")
    for summary in summaries:
        print_import_summary(summary)
    stored, present = sum(s.stored for s in summaries), sum(s.already_present for s in summaries)
    console.print(f"sample loaded: {stored} responses stored now, {present} already present")
    results = demo_reports(eng, out, jobs, console, settings.colophon)
    for summary in results:
        print_report_summary(summary)
    console.print("\n[bold]Reports[/] (open in a browser, they work offline):")
    for summary in results:
        console.print(f"  {summary.index}", highlight=False, soft_wrap=True)
    if any(s.failed for s in results):
        fail("some reports failed; their errors are listed in the index pages", code=1)


# --- collection (forms) ----------------------------------------------------------


@app.command()
def collect(
    round_id: Annotated[str, typer.Option("--round", help="Round whose form to serve.")],
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8866,
    host: Annotated[
        str, typer.Option(help="Address to listen on (a reverse proxy's upstream).")
    ] = "127.0.0.1",
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Public address behind a reverse proxy, e.g. https://vragenlijst.example.nl/dwp/.",
        ),
    ] = None,
) -> None:
    """Serve the questionnaire form and print the invitation links to share."""
    from dwp_assess.collect.server import serve

    serve(
        engine(),
        round_id,
        port,
        state.db,
        echo=lambda line: console.print(line, highlight=False, markup=False, soft_wrap=True),
        host=host,
        url=base_url,
    )


@app.command()
def invite(
    round_id: Annotated[str, typer.Option("--round", help="Round the links are for.")],
    per_person: Annotated[
        int,
        typer.Option(
            "--per-person",
            min=0,
            help="New personal links (one response each) per team or organisation.",
        ),
    ] = 0,
    csv_path: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="Write the links (shared, or the new personal ones) to this CSV for a mail merge.",
        ),
    ] = None,
    base_url: Annotated[
        str,
        typer.Option(
            "--base-url", help="Address respondents open (the form server's or its proxy's)."
        ),
    ] = "http://127.0.0.1:8866/",
    revoke: Annotated[
        list[str] | None,
        typer.Option(help="Revoke this token (repeatable): its link opens nothing any more."),
    ] = None,
) -> None:
    """Make, export or revoke the invitation links of a round's form."""
    from dwp_assess.collect import server
    from dwp_assess.data import invitations, store
    from dwp_assess.instruments.messages import t

    eng = engine()
    store.get_round(eng, round_id)  # an unknown round: one line
    for token in revoke or []:
        if not invitations.revoke(eng, token):
            fail(t("collect.invite_unknown", "en", token=token))
        console.print(t("collect.invite_revoked", "en", token=token), highlight=False)
    if not (per_person or csv_path or revoke):
        fail(t("collect.invite_nothing", "en"))
    if not (per_person or csv_path):
        return
    url = server.public_url(base_url)
    found = (
        server.personal_links(eng, round_id, url, per_person)
        if per_person
        else server.links(eng, round_id, url)
    )
    if csv_path:
        path = server.write_links_csv(csv_path, found)
        console.print(
            t("collect.invite_written", "en", n=len(found), path=path),
            highlight=False,
            soft_wrap=True,
        )
    else:
        for link in found:
            unit = link.team_name or link.collaboration_title
            console.print(
                f"  {link.organisation_name}{f' / {unit}' if unit else ''}: {link.form_url}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )


@app.command()
def session(
    round_id: Annotated[
        str, typer.Option("--round", help="Round of an instrument with an agreements list.")
    ],
    team: Annotated[str, typer.Option(help="Team id (registry) whose workshop this is.")],
    port: Annotated[int, typer.Option(help="Port on localhost.")] = 8867,
    refresh: Annotated[int, typer.Option(min=2, help="Seconds between refreshes.")] = 10,
) -> None:
    """Serve the facilitator's live view of one team's answers (counts only) during its workshop."""
    from dwp_assess.collect.session import serve

    serve(
        engine(),
        round_id,
        team,
        port,
        state.db,
        refresh,
        echo=lambda line: console.print(line, highlight=False, markup=False, soft_wrap=True),
    )


@app.command("export-form")
def export_form(
    instrument: Annotated[str, typer.Option(help="Instrument id, e.g. data-strategy.")],
    fmt: Annotated[str, typer.Option("--format", help="Form format: xlsform.")] = "xlsform",
    out: Annotated[
        Path | None, typer.Option(help="File to write (default: ID-vN.xlsform.xlsx).")
    ] = None,
    version: Annotated[
        int | None, typer.Option(help="Instrument version (default: newest).")
    ] = None,
) -> None:
    """Write an instrument as a form for survey tools (XLSForm: KoboToolbox, ODK)."""
    from dwp_assess.collect.xlsform import write_xlsform
    from dwp_assess.instruments.loading import get_instrument

    if fmt != "xlsform":
        raise ValueError(f"unknown form format '{fmt}'; supported: xlsform")
    path = write_xlsform(get_instrument(instrument, version), out, engine_if_project())
    console.print(f"written: {path}", highlight=False)


# --- reports -----------------------------------------------------------------------


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


def print_report_summary(summary) -> None:
    indexes = " and ".join(str(p) for p in (summary.indexes or {"": summary.index}).values())
    printed = f" ({summary.printed} printed to PDF now)" if summary.printed else ""
    console.print(
        f"{summary.round_id}: {summary.ok} made, {summary.skipped} up to date{printed}, {summary.failed} failed "
        f"→ open {indexes} (for you, not for distribution; executed notebooks in {summary.notebooks})",
        highlight=False,
        soft_wrap=True,
    )


def print_replaced_and_removed(summary) -> None:
    """The files the run made again in place, and those it removed (older data, units gone)."""
    for label, paths in (("replaced", summary.replaced), ("removed", summary.removed)):
        if paths:
            names = ", ".join(
                sorted(
                    p.relative_to(p.parent.parent).as_posix()
                    if p.parent.name == "bundles"
                    else p.name
                    for p in paths
                )
            )
            console.print(
                f"{label} ({len(paths)}): {names}", highlight=False, markup=False, soft_wrap=True
            )
    if summary.removed:
        console.print(
            "removed files were made from older data or rules, or belong to units no longer in the round; "
            "make them again with --lang / --pdf / --bundle",
            highlight=False,
            soft_wrap=True,
        )


def print_bundle_summary(bundles) -> None:
    """Where the bundles are, and which organisations got none because a report is not ready."""
    if bundles is None:
        return
    if bundles.written:
        folder = next(iter(bundles.written.values())).parent
        console.print(
            f"{len(bundles.written)} bundle(s) ready to send, one per organisation: {folder}",
            highlight=False,
            soft_wrap=True,
        )
    for organisation, units in bundles.withheld.items():
        console.print(
            f"  no bundle for {organisation}: report(s) not made: {', '.join(units)}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


# --- improvement plans -------------------------------------------------------------------

plan_app = typer.Typer(
    help="Improvement plans (verbeterplannen): draft from a report's advice, import, show.",
    no_args_is_help=True,
)
app.add_typer(plan_app, name="plan")
RoundOption = Annotated[
    str, typer.Option("--round", help="The round whose advice the plan answers.")
]
OrgOption = Annotated[str, typer.Option("--org", help="Organisation id (as in the registry).")]


@plan_app.command("draft")
def plan_draft(
    round_id: RoundOption,
    org: OrgOption,
    out: Annotated[
        Path | None, typer.Option(help="Folder (default: reports/plans/<round>).")
    ] = None,
    lang: Annotated[
        str | None, typer.Option(help="nl or en (default: the project's language).")
    ] = None,
) -> None:
    """Write an organisation's draft improvement plan (XLSX and CSV) with the actions its report
    proposes and columns to fill in: adopted (ja/nee), owner name, due date, status."""
    from dwp_assess.analysis.plan_follow_up import draft_rows
    from dwp_assess.analysis.privacy import min_group_size
    from dwp_assess.analysis.profiles import organisation_view
    from dwp_assess.analysis.round_lookup import previous_round
    from dwp_assess.data import store
    from dwp_assess.data.plan_files import record_draft, write_draft
    from dwp_assess.instruments.loading import get_instrument
    from dwp_assess.reports.cache import cached_analysis
    from dwp_assess.reports.unit_choice import choose_units

    eng = engine()
    choose_units(eng, round_id, [org], None)
    info = store.get_round(eng, round_id)
    instrument = get_instrument(info.instrument_id, info.instrument_version)
    analysis, _ = cached_analysis(
        eng, round_id, previous_round(eng, round_id), min_group_size(instrument)
    )
    view = organisation_view(analysis, org)
    lang = lang or settings().language
    folder = out or ids.output_path(settings().reports_dir / "plans", round_id)
    organisation = {"id": org, "name": str(view.organisation["name"])}
    rows = draft_rows(view, instrument, lang)
    xlsx, csv_file = write_draft(rows, organisation, info.period, folder, lang)
    record_draft(eng, round_id, org, rows["action_id"])  # the import accepts these actions only
    console.print(f"draft plan written: {xlsx} and {csv_file}", highlight=False, soft_wrap=True)


@plan_app.command("import")
def plan_import(
    file: Annotated[Path, typer.Argument(help="The filled-in draft (.xlsx or .csv).")],
    round_id: RoundOption,
    org: OrgOption,
) -> None:
    """Check a filled-in plan and store it as the organisation's next plan version; a file with
    problems is refused whole, each problem named with its row and column. The file is not changed."""
    from dwp_assess.analysis.plan_follow_up import known_actions
    from dwp_assess.data import store
    from dwp_assess.data.plan_files import PlanError, import_plan
    from dwp_assess.instruments.loading import get_instrument

    eng = engine()
    info = store.get_round(eng, round_id)
    known = known_actions(get_instrument(info.instrument_id, info.instrument_version))
    try:
        result = import_plan(eng, file, round_id, org, known)
    except PlanError as exc:
        for problem in exc.problems:
            err_console.print(problem, highlight=False, markup=False, soft_wrap=True)
        fail(f"{len(exc.problems)} problem(s) in {file.name}: the plan was not stored")
    if result.unchanged:
        console.print(
            f"{org}, round {round_id}: unchanged, same as stored version {result.version}",
            highlight=False,
        )
    else:
        console.print(
            f"{org}, round {round_id}: plan version {result.version} stored, {result.adopted} of {result.actions} action(s) adopted",
            highlight=False,
        )


@plan_app.command("show")
def plan_show(
    round_id: RoundOption,
    org: OrgOption,
    lang: Annotated[
        str | None, typer.Option(help="nl or en (default: the project's language).")
    ] = None,
) -> None:
    """Show the latest stored plan of an organisation for a round, and its versions, in the
    plan's language: column names, dimensions, yes/no and status as the draft has them."""
    import pandas as pd

    from dwp_assess.data import store
    from dwp_assess.data.plan_files import header, load_plans, plan_versions
    from dwp_assess.instruments.loading import get_instrument
    from dwp_assess.instruments.messages import t

    eng = engine()
    info = store.get_round(eng, round_id)
    lang = lang or settings().language
    actions = load_plans(eng, round_id, org)
    if actions.empty:
        fail(f"no plan of {org} for round {round_id}; import one with `dwp-assess plan import`")
    versions = plan_versions(eng, round_id, org)
    dimensions = {
        d.id: d.label.get(lang)
        for d in get_instrument(info.instrument_id, info.instrument_version).dimensions
    }
    columns = ("action_id", "dimension", "adopted", "owner_name", "due_date", "status")
    console.print(
        f"{org}, round {round_id}: plan version {int(actions['plan_version'].iloc[0])} of {len(versions)}",
        highlight=False,
        markup=False,
    )
    for r in actions.itertuples():  # one block per action: readable at any terminal width
        values = (
            r.action_id,
            dimensions.get(r.dimension_id, r.dimension_id),
            t("common.yes" if r.adopted else "common.no", lang),
            r.owner_name,
            r.due_date,
            t(f"plan.status.{r.status}", lang),
        )
        for n, (column, value) in enumerate(zip(columns, values, strict=True)):
            text = "" if value is None or pd.isna(value) else str(value)
            console.print(
                f"{'-' if n == 0 else ' '} {header(column, lang)}: {text}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )


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
