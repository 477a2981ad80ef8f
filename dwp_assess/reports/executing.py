"""Running planned report jobs: here, in local processes, or on a dask cluster.

Each way of running offers the same three steps (``submit``, ``completed``, ``result``) so
that the run loop does not care where a job runs. One job at a time runs here, in this
process's kept-alive kernel; more run in a pool of local processes (``spawn``: a fresh
interpreter each); with ``executor="dask"`` they run on a dask.distributed cluster (the
scheduler at ``scheduler``, else a local cluster of ``jobs`` workers), whose workers may be
on other machines: each job goes as a ``remote.RemoteJob`` with the round's ``remote.Kit``,
sent to every worker once. A job that crashes its worker fails its report, not the run.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from dwp_assess import project
from dwp_assess.reports import remote
from dwp_assess.reports.execute import Job, JobResult, run_job
from dwp_assess.reports.options import ReportOptions
from dwp_assess.reports.printing import discard_printer

Planned = tuple[Job, str]


class InProcess:
    """Jobs run here, one at a time, in this process's kept-alive kernel."""

    def submit(self, job: Job) -> Future:
        future = Future()
        future.set_result(run_job(job))
        return future

    def completed(self, futures):
        return list(futures)

    def result(self, future: Future, _job: Job) -> JobResult:
        return future.result()

    def close(self) -> None:  # the caller's process may drive a browser of its own after this
        discard_printer()


class LocalProcesses(InProcess):
    """Jobs run in a pool of ``workers`` local processes, which share this machine's folders."""

    def __init__(self, workers: int):
        context = multiprocessing.get_context("spawn")
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)

    def submit(self, job: Job) -> Future:
        return self.pool.submit(run_job, job)

    def completed(self, futures):
        return as_completed(futures)

    def close(self) -> None:
        self.pool.shutdown()


class DaskCluster:
    """Jobs run on a dask.distributed cluster, each with the round's kit (``remote``)."""

    def __init__(self, scheduler: str | None, workers: int, kit: remote.Kit):
        from dask.distributed import Client

        self.client = (
            Client(scheduler) if scheduler else Client(n_workers=workers, threads_per_worker=1)
        )
        self.kit = self.client.scatter(kit, broadcast=True)

    def submit(self, job: Job):
        return self.client.submit(remote.run_remote, remote.outgoing(job), self.kit, pure=False)

    def completed(self, futures):
        from dask.distributed import as_completed as dask_as_completed

        return dask_as_completed(list(futures))

    def result(self, future, job: Job) -> JobResult:
        return remote.write_back(job, future.result())

    def close(self) -> None:
        self.client.close()


def runner(options: ReportOptions, analysis_dir: Path, settings: project.Settings, template: Path):
    """Where ``options`` asks the jobs to run: a dask cluster, local processes (``jobs`` > 1)
    or this process."""
    if options.distributed:
        return DaskCluster(
            options.scheduler, options.jobs, remote.pack(analysis_dir, template, settings)
        )
    return LocalProcesses(options.jobs) if options.jobs > 1 else InProcess()


def execute(
    to_run: list[Planned],
    options: ReportOptions,
    analysis_dir: Path,
    settings: project.Settings,
    console=None,
) -> list[tuple[JobResult, Planned]]:
    """Run the jobs where ``options`` says, with a progress bar on ``console``; each result
    with its job and key."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} done, {task.fields[failed]} failed"),
        TimeRemainingColumn(),
        console=console,
        disable=console is None,
    )
    with progress:
        chosen = (
            runner(options, analysis_dir, settings, to_run[0][0].template)
            if to_run
            else InProcess()
        )
        try:
            results = run_all(chosen, [job for job, _ in to_run], progress)
        finally:
            chosen.close()
    by_unit = {job.unit: (job, key) for job, key in to_run}
    return [(result, by_unit[result.unit]) for result in results]


def run_all(chosen, jobs: list[Job], progress: Progress) -> list[JobResult]:
    """Every job's result, as they finish."""
    task = progress.add_task("reports", total=len(jobs), failed=0)
    futures = {chosen.submit(job): job for job in jobs}
    results, failed = [], 0
    for future in chosen.completed(futures):
        job = futures[future]
        try:
            result = chosen.result(future, job)
        except Exception as exc:  # noqa: BLE001 - a crashed worker fails its report, not the run
            result = JobResult(job.unit, "failed", 0.0, f"{type(exc).__name__}: {exc}")
        failed += result.status != "ok"
        results.append(result)
        progress.update(task, advance=1, failed=failed)
    return results
