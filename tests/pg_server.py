"""A throwaway PostgreSQL server for the tests, started from Debian's ``postgresql`` package.

PostgreSQL refuses to run as root, and CI runs as root: the server then runs as
the ``postgres`` system user (created by the Debian package) in a temporary
folder it owns, listening only on a Unix socket in that folder and on a free
loopback port. It is stopped and removed when the test session ends.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from dwp_assess.data import store


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


@pytest.fixture(scope="session")
def postgres_url():
    """URL of a fresh database on a private PostgreSQL server (skips where none is installed)."""
    bin_dir = _pg_bin()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; .ci/run must install Debian's postgresql")
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="dwp-pg-"))
    data, port = root / "data", _free_port()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")

    def run(program: str, *args: str) -> None:
        command = _as_server_user([str(bin_dir / program), *args])
        subprocess.run(command, check=True, capture_output=True)

    run(
        "initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C"
    )
    opts = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} -c fsync=off"
    run("pg_ctl", "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start")
    try:
        for _ in range(50):
            probe = subprocess.run(
                [str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                capture_output=True,
            )
            if probe.returncode == 0:
                break
            time.sleep(0.1)
        run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "dwp_test")
        yield f"postgresql://postgres@127.0.0.1:{port}/dwp_test"
    finally:
        subprocess.run(
            _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def fresh_postgres(postgres_url) -> str:
    """A new empty database on the session's PostgreSQL server."""
    server = postgres_url.rsplit("/", 1)[0]
    name = f"dwp_{uuid.uuid4().hex[:8]}"
    admin = create_engine(store.database_url(f"{server}/postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"create database {name}"))
    admin.dispose()
    return f"{server}/{name}"
