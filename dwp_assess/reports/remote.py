"""Report jobs on workers that share no folder with the analyst's machine (a dask cluster).

A worker on another machine has the package installed (same version) and nothing of the
project: not the round's analysis (in the analyst's data folder), not the project's own
instruments and recommendation rules, not its folders. So a run on a cluster sends, once per
worker, a ``Kit``: the analysis folder, the report notebook, the project's own instrument
folder and the project's settings (``Settings.to_json``). The worker unpacks it into its own
working folder (dask's ``local_directory``, else the temporary folder), makes settings whose
folders all lie there (the store's URL stays: it must be reachable from the worker, a
PostgreSQL server or an SQLite file on a shared path, though report kernels read only the
analysis), and runs the job with its files in that folder. What it made comes back with the
result (``RemoteResult``) and is written at the job's paths on the analyst's machine: the
reports folder and the executed notebook stay there, exactly as in a local run.

A print-only job carries the HTML it prints. A job that failed on the worker leaves none of
its report's files on the analyst's machine (its executed notebook is kept).
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from dwp_assess import project
from dwp_assess.reports.execute import Job, JobResult, run_job

PATHS = (
    "notebook_path",
    "html_path",
    "pdf_path",
    "summary_path",
    "summary_pdf_path",
    "document_path",
)
PRINTED_FROM = ("html_path", "summary_path")  # what a print-only job prints


@dataclass(frozen=True)
class Kit:
    """What every job of a round needs on a worker besides the job itself."""

    token: str  # a digest of everything below: a worker unpacks each kit once
    analysis: bytes  # the analysis folder as a tar archive (with the typology beside it)
    template: bytes  # the report notebook
    template_name: str
    questionnaires: bytes  # the project's own instrument folder as a tar archive (may be empty)
    settings: str  # the project's settings, ``Settings.to_json``


@dataclass(frozen=True)
class RemoteJob:
    """A job as sent to a worker: for a print-only job, with the HTML it prints."""

    job: Job
    inputs: dict[str, bytes] = field(default_factory=dict)  # Job path attribute → content


@dataclass
class RemoteResult:
    """A job's result and the files the worker made (Job path attribute → content)."""

    result: JobResult
    files: dict[str, bytes] = field(default_factory=dict)


def pack(analysis_dir: Path, template: Path, settings: project.Settings) -> Kit:
    """The kit of a round: its analysis, report notebook, the project's own instruments and
    settings."""
    analysis = _tar(Path(analysis_dir))
    own = settings.questionnaires_dir
    questionnaires = _tar(own) if own.is_dir() else b""
    template_bytes = Path(template).read_bytes()
    text = settings.to_json()
    digest = hashlib.sha256()
    for part in (analysis, template_bytes, questionnaires, text.encode()):
        digest.update(hashlib.sha256(part).digest())
    return Kit(
        digest.hexdigest()[:16], analysis, template_bytes, Path(template).name, questionnaires, text
    )


def outgoing(job: Job) -> RemoteJob:
    """``job`` as sent to a worker: a print-only job with the HTML it prints."""
    if not job.print_only:
        return RemoteJob(job)
    inputs = {name: getattr(job, name).read_bytes() for name in PRINTED_FROM if getattr(job, name)}
    return RemoteJob(job, inputs)


def run_remote(remote: RemoteJob, kit: Kit) -> RemoteResult:
    """Run a job on this worker, in its own working folder (see the module docstring); what
    it made is returned, nothing is left behind in the job's folder."""
    place = _unpacked(kit)
    local = _localised(remote.job, place)
    for name, content in remote.inputs.items():
        getattr(local, name).write_bytes(content)
    result = run_job(local)
    files = {
        name: path.read_bytes()
        for name in PATHS
        if name not in remote.inputs and (path := getattr(local, name)) and path.is_file()
    }
    for name in PATHS:
        if path := getattr(local, name):
            path.unlink(missing_ok=True)
    return RemoteResult(result, files)


def write_back(job: Job, remote: RemoteResult) -> JobResult:
    """Write what the worker made at the job's paths; after a failure, remove the report's
    files that it did not make (the executed notebook stays, as the audit trail)."""
    for name in PATHS:
        path = getattr(job, name)
        if path is None:
            continue
        if name in remote.files:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(remote.files[name])
        elif remote.result.status != "ok" and name != "notebook_path":
            path.unlink(missing_ok=True)
    return remote.result


_places: dict[str, Path] = {}  # kit token → where this worker process unpacked it
_unpacking = threading.Lock()


def _unpacked(kit: Kit) -> Path:
    """The folder where this worker unpacked ``kit`` (once per kit and process)."""
    with _unpacking:
        if kit.token not in _places:
            _places[kit.token] = _unpack(kit)
        return _places[kit.token]


def _unpack(kit: Kit) -> Path:
    """Unpack ``kit`` into a new folder of this worker's, with settings that point into it."""
    place = Path(tempfile.mkdtemp(prefix=f"dwp-kit-{kit.token}-", dir=_working_folder()))
    _untar(kit.analysis, place / "analysis")
    if kit.questionnaires:
        _untar(kit.questionnaires, place / "questionnaires")
    (place / "template").mkdir()
    (place / "template" / kit.template_name).write_bytes(kit.template)
    settings = project.Settings.from_json(kit.settings)
    folders = {name: place / name for name in settings.folders}
    (place / "settings.json").write_text(
        replace(settings, root=place, folders=folders).to_json(), encoding="utf-8"
    )
    return place


def _localised(job: Job, place: Path) -> Job:
    """``job`` with every path in ``place``: the analysis, the template, the settings, and
    its files in a folder of its own."""
    folder = place / "jobs" / job.unit
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / path.name for name in PATHS if (path := getattr(job, name))}
    settings = project.Settings.from_json((place / "settings.json").read_text(encoding="utf-8"))
    parameters = job.parameters | {"analysis_dir": str(place / "analysis")}
    template = place / "template" / job.template.name
    return replace(job, template=template, parameters=parameters, settings=settings, **paths)


def _working_folder() -> Path:
    """This worker's own folder: dask's ``local_directory``, else the temporary folder."""
    try:
        from distributed import get_worker

        return Path(get_worker().local_directory)
    except (ImportError, ValueError):
        return Path(tempfile.gettempdir())


def _tar(folder: Path) -> bytes:
    """``folder``'s files as an uncompressed tar archive, names relative to it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            archive.add(path, arcname=path.relative_to(folder).as_posix())
    return buffer.getvalue()


def _untar(content: bytes, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(content)) as archive:
        archive.extractall(folder, filter="data")
