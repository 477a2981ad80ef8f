"""Fixtures shared by the whole suite: instruments and throwaway stores.

Tests never touch the default store under ``data/``: every test that needs a
database gets its own SQLite file in ``tmp_path``.
"""

from __future__ import annotations

import pytest

from dwp_assess.data import store
from dwp_assess.instruments.loading import get_instrument


@pytest.fixture(autouse=True)
def _no_default_database(monkeypatch, tmp_path_factory):
    """Keep tests away from a developer's DWP_DATABASE_URL and the project's data/ folder."""
    monkeypatch.delenv("DWP_DATABASE_URL", raising=False)
    monkeypatch.setenv("DWP_DATA_DIR", str(tmp_path_factory.getbasetemp() / "data"))


@pytest.fixture(scope="session")
def data_strategy():
    return get_instrument("data-strategy")


@pytest.fixture(scope="session")
def competences():
    return get_instrument("competences")


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
