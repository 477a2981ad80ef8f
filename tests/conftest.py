"""Fixtures shared by the whole suite: a throwaway project, instruments and stores.

Every test runs with a project made for the test session: it is the active project of the
test process (``project.activate``, as the command line makes it), and ``DWP_PROJECT``
for commands run as subprocesses, so nothing looks for a project in the checkout; every
test that needs a database gets its own SQLite file in ``tmp_path``. Tests of how a
project is found unset both (``tests/test_own_project.py``).

The packaged sample is loaded into a store once per test session (``sample_store``: 5–10 s
each time, once for all xdist workers together); a module gets a copy of that file of its own
(``sample_store.copy_to``), so what one module changes no other module sees, and the original
is read-only and checked unchanged at the end of the session.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from dwp_assess import project
from dwp_assess.data import store
from dwp_assess.demo import load_sample
from dwp_assess.instruments.loading import get_instrument


@pytest.fixture(scope="session", autouse=True)
def project_dir(tmp_path_factory):
    """A project folder for the whole session (per xdist worker), set as ``DWP_PROJECT``
    before any fixture of a narrower scope runs (a module's demo store included), with a
    data folder of its own; a developer's DWP_DATABASE_URL is kept away."""
    root = project.create(tmp_path_factory.mktemp("project"), owner="Testgemeente").root
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DWP_DATABASE_URL", raising=False)
        patch.setenv(project.PROJECT_ENV, str(root))
        patch.setenv("DWP_DATA_DIR", str(tmp_path_factory.getbasetemp() / "data"))
        project.activate(project.load(root))
        yield root
    project.activate(None)


@pytest.fixture(autouse=True)
def _isolated_project(monkeypatch, project_dir, tmp_path_factory):
    """Each test starts from the session's settings, whatever an earlier test changed."""
    monkeypatch.delenv("DWP_DATABASE_URL", raising=False)
    monkeypatch.setenv(project.PROJECT_ENV, str(project_dir))
    monkeypatch.setenv("DWP_DATA_DIR", str(tmp_path_factory.getbasetemp() / "data"))
    project.activate(project.load(project_dir))


# Version 1 of both instruments: the suite's tests were written for it, and its rounds stay in
# use; tests/test_instruments_v2.py covers what version 2 adds.
@pytest.fixture(scope="session")
def data_strategy():
    return get_instrument("data-strategy", 1)


@pytest.fixture(scope="session")
def competences():
    return get_instrument("competences", 1)


@pytest.fixture(scope="session")
def data_strategy_v2():
    return get_instrument("data-strategy", 2)


@dataclass(frozen=True)
class SampleStore:
    """The packaged sample loaded once (``demo.load_sample``): a read-only SQLite file with
    its quarantine folder beside it, as an import leaves them. Tests use copies."""

    folder: Path

    @property
    def files(self) -> list[Path]:
        return sorted(p for p in self.folder.rglob("*") if p.is_file())

    def digest(self) -> str:
        """One hash over every file's name and content."""
        sha = hashlib.sha256()
        for path in self.files:
            sha.update(str(path.relative_to(self.folder)).encode() + b"\0" + path.read_bytes())
        return sha.hexdigest()

    def copy_to(self, database: Path) -> str:
        """A writable copy of the store at ``database`` (its quarantine folder beside it, where
        an import puts it); returns the copy's URL."""
        database.parent.mkdir(parents=True, exist_ok=True)
        for path in self.files:  # copyfile: the copy gets no read-only mode bits
            target = (
                database
                if path.name == "dwp.sqlite"
                else database.parent / path.relative_to(self.folder)
            )
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        return f"sqlite:///{database}"


def _build_sample_store(folder: Path) -> None:
    """Load the sample into ``folder/dwp.sqlite`` (written aside and renamed, so a folder that
    exists is complete) and make its files read-only."""
    building = folder.with_name(folder.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    engine = store.connect(f"sqlite:///{building / 'dwp.sqlite'}")
    load_sample(engine)
    engine.dispose()  # the last connection checkpoints the WAL journal into the file
    assert not (building / "dwp.sqlite-wal").exists()
    for path in building.rglob("*"):
        if path.is_file():
            path.chmod(0o444)
    building.rename(folder)


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory, project_dir) -> SampleStore:
    """The sample store of this session, built by whichever xdist worker asks first (the
    others wait on a lock in the session's shared temporary folder) and checked unchanged
    when the session ends."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by the workers of this session
    folder = root / "sample-store"
    with (root / "sample-store.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not folder.is_dir():
            _build_sample_store(folder)
    sample = SampleStore(folder)
    before = sample.digest()
    yield sample
    assert sample.digest() == before, f"a test changed the shared sample store {folder}"


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'dwp.sqlite'}"


@pytest.fixture
def engine(sqlite_url):
    eng = store.connect(sqlite_url)
    yield eng
    eng.dispose()


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium (``playwright install`` cannot download browsers here).

    The flags keep Chromium from calling home, which this machine's closed network refuses.
    """
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def use_template(monkeypatch):
    """Replace the maturity report's notebook for one test: ``use_template(path)``."""
    from dataclasses import replace

    from dwp_assess.reports.outputs import OUTPUTS

    def use(path):
        monkeypatch.setitem(
            OUTPUTS, "maturity-report", replace(OUTPUTS["maturity-report"], template=path)
        )

    return use
