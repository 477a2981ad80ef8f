"""Reports on a dask cluster whose workers share no folder with the analyst (docs/scaling.md).

A round of generated municipalities is imported from one export per organisation into a
project of its own (with its own recommendation rules); its reports are made here, then
again on a local cluster of two worker processes that run in folders of their own. The
reports must be the same byte for byte (apart from the moment they were made), and the
workers must have worked from the kit they were sent: the executed notebooks name the
analysis and the project folders in the worker's folder, never the analyst's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from dwp_assess import project, resources
from dwp_assess.data import importers, registry, store
from dwp_assess.instruments.loading import RULES_NAME, get_instrument
from dwp_assess.reports import run as reports
from dwp_assess.reports.options import ReportOptions
from tests.generated_rounds import population_round

pytestmark = pytest.mark.slow

ROUND = "ds-2027"
ORGS = 6
OWN_RULES = "Proefactie:"  # the project's own rules mark every action text with this
# what differs between two runs of the same report: the moment it was made
MADE_AT = re.compile(rb"\d{4}-\d{2}-\d{2}(T| )\d{2}:\d{2}(:\d{2})?(\+00:00|Z|\.\d+)?")


@pytest.fixture(scope="module")
def analyst(tmp_path_factory):
    """A project with a generated round imported from one file per organisation, its own
    recommendation rules (the packaged ones, every action text marked ``OWN_RULES``), and the
    reports made here, one at a time."""
    folder = tmp_path_factory.mktemp("analyst")
    settings = project.create(folder / "project", owner="Gemeente Proef")
    rules = (resources.QUESTIONNAIRES / RULES_NAME).read_text(encoding="utf-8")
    own = rules.replace(' action: {nl: "', f' action: {{nl: "{OWN_RULES} ')
    (settings.questionnaires_dir / RULES_NAME).write_text(own, encoding="utf-8")
    project.activate(settings)
    engine = store.connect(settings.database_url)
    instrument = get_instrument("data-strategy", 2)
    generated = population_round(folder / "imports", instrument, n_orgs=ORGS, rho=0.6, seed=7)
    registry.import_registry(engine, generated.registry)
    store.create_round(engine, instrument, "2027", ROUND)
    for export in generated.exports:
        importers.import_file(engine, export, ROUND)
    local = reports.generate_reports(engine, ReportOptions(ROUND, folder / "local"), settings)
    assert (local.ok, local.failed) == (ORGS, 0)
    yield engine, settings, folder
    engine.dispose()


def _worker_folder(worker_dir: str) -> str:
    """Run in each worker: leave the test's working folder for the worker's own."""
    os.chdir(worker_dir)
    return os.getcwd()


def test_reports_on_workers_without_a_shared_folder_equal_the_local_ones(analyst, tmp_path):
    from dask.distributed import Client, LocalCluster

    engine, settings, folder = analyst
    project.activate(settings)
    workers = tmp_path / "workers"
    with (
        LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            dashboard_address=None,
            local_directory=str(workers),
        ) as cluster,
        Client(cluster) as client,
    ):
        folders = client.run(_worker_folder, str(workers))
        assert len(folders) == 2
        options = ReportOptions(
            ROUND, folder / "cluster", executor="dask", scheduler=cluster.scheduler_address
        )
        shutil.rmtree(settings.data_dir / "notebooks" / ROUND)  # the audit trail of this run only
        made = reports.generate_reports(engine, options, settings)
        _assert_worked_from_the_kit(made.notebooks, settings, workers)  # while the workers are up
    assert (made.ok, made.failed) == (ORGS, 0)
    local, remote = folder / "local" / ROUND, folder / "cluster" / ROUND
    names = sorted(p.name for p in local.glob("*.html") if not p.name.startswith("index"))
    assert len(names) == 2 * ORGS  # a report and a management summary per organisation
    assert names == sorted(p.name for p in remote.glob("*.html") if not p.name.startswith("index"))
    for name in names:
        assert MADE_AT.sub(b"", (local / name).read_bytes()) == MADE_AT.sub(
            b"", (remote / name).read_bytes()
        ), name
    manifest = json.loads((remote / "manifest.json").read_text(encoding="utf-8"))
    assert (
        json.loads((local / "manifest.json").read_text(encoding="utf-8")).keys() == manifest.keys()
    )
    assert all(OWN_RULES in (remote / name).read_text(encoding="utf-8") for name in names)


def _assert_worked_from_the_kit(notebooks: Path, settings: project.Settings, workers: Path) -> None:
    """Every executed notebook (written back on the analyst's machine) read the analysis and
    the project's settings from a worker's folder, never from the analyst's project."""
    executed = sorted(notebooks.glob("*.ipynb"))
    assert len(executed) == ORGS
    for path in executed:
        notebook = nbformat.read(path, as_version=4)
        cell = next(
            c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])
        )
        values = {}
        exec(cell.source, {}, values)  # the parameters papermill wrote: plain assignments
        assert Path(values["analysis_dir"]).is_relative_to(workers), values["analysis_dir"]
        handed = project.Settings.from_json(values["project_settings"])
        assert handed.root.is_relative_to(workers)
        assert all(f.is_relative_to(workers) for f in handed.folders.values())
        assert (handed.questionnaires_dir / RULES_NAME).is_file()  # the project's own rules, sent
        assert handed.database_url == settings.database_url  # the store: reachable as given
