"""The synthetic sample: ``sample`` writes its files, ``demo`` runs the main job on it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from dwp_assess.cli.app import app, console, fail
from dwp_assess.cli.settings import engine, state, use_project
from dwp_assess.cli.summaries import print_import_summary, print_report_summary


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
