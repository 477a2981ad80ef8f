"""Benchmark: how fast commands that need no heavy library answer (``--help``, ``--version``,
a mistyped option, ``init``).

Each command runs as its own ``python -m dwp_assess`` process, several times, in two ways:

* the package as it is: ``dwp_assess.cli.main`` imports typer and rich only; pandas, SQLAlchemy,
  plotly, papermill and the instrument models are imported inside the commands that use them;
* the baseline: the same command in a process that first imports what ``cli`` imported at
  its top before (the store with SQLAlchemy and pandas, the instrument loader), as every
  command paid until issue 24.

Printed per command: the median wall time and CPU time (user + system of the child) of
both, and the ratio baseline / package. Target: every command below 0.5 CPU-seconds (well
under a second of waiting on a quiet machine). Run: ``python benchmarks/bench_startup.py``
(``--runs N``, default 5; exit code 1 when a target is missed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_CPU_SECONDS = 0.5
BASELINE_IMPORTS = (
    "import dwp_assess.data.store, dwp_assess.instruments.loading, dwp_assess.data.registry"
)


def run_once(code: str, args: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one child process running ``code`` with ``args`` as argv."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, _, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def measure(code: str, args: list[str], runs: int, folder: Path) -> tuple[float, float]:
    """Median wall and CPU seconds over ``runs`` (``init`` gets a new folder each run)."""
    walls, cpus = [], []
    for n in range(runs):
        argv = [a.replace("{new}", str(folder / f"p{n}-{time.monotonic_ns()}")) for a in args]
        wall, cpu = run_once(code, argv, folder)
        walls.append(wall)
        cpus.append(cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    package = "from dwp_assess.cli.main import main; import sys; sys.argv[0] = 'dwp-assess'; main()"
    baseline = f"{BASELINE_IMPORTS}; {package}"
    commands = {
        "--help": ["--help"],
        "--version": ["--version"],
        "mistyped option": ["--verison"],
        "init": ["init", "{new}"],
    }
    print(f"load average at the start: {os.getloadavg()[0]:.1f}; {runs} runs per command")
    print(
        f"{'command':<18}{'package wall':>14}{'cpu':>8}{'baseline wall':>15}{'cpu':>8}{'ratio':>8}"
    )
    missed = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, args in commands.items():
            wall, cpu = measure(package, args, runs, folder)
            base_wall, base_cpu = measure(baseline, args, runs, folder)
            print(
                f"{name:<18}{wall:>13.2f}s{cpu:>7.2f}s{base_wall:>14.2f}s{base_cpu:>7.2f}s{base_cpu / cpu:>7.1f}×"
            )
            if cpu > TARGET_CPU_SECONDS:
                missed.append(name)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    if missed:
        print(f"target missed ({TARGET_CPU_SECONDS} CPU-s): {', '.join(missed)}")
        return 1
    print(f"target met: every command below {TARGET_CPU_SECONDS} CPU-s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
