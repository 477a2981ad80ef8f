"""Finding, loading and validating instrument files: the packaged ones and the project's own.

The package ships its instruments (``dwp_assess/questionnaires``). A project may add
instruments of its own, or newer versions of the packaged ones, in its ``questionnaires/``
folder: for one id the highest version wins, and the same id and version in two files is
an error naming both (which of two different texts to use is the analyst's decision).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from dwp_assess import project, resources
from dwp_assess.instruments.model import Instrument, InstrumentError
from dwp_assess.instruments.versions import (
    FormerWording,
    VersionMapping,
    chained_items,
    former_wording,
    mapping_problems,
    merged_wording,
)

QUESTIONNAIRE_DIR = resources.QUESTIONNAIRES
RULES_NAME = "recommendations.yaml"
MAPPING_NAME = re.compile(r"^(?P<id>[a-z][a-z0-9-]*)-v(?P<a>\d+)-to-v(?P<b>\d+)\.yaml$")


def _format_error(path: Path, err: dict) -> str:
    loc = ".".join(str(p) for p in err.get("loc", ())) or "(top level)"
    msg = err.get("msg", "invalid")
    if err.get("type") == "missing":
        msg = "required field is missing"
    elif err.get("type") == "extra_forbidden":
        msg = "unknown field (check the spelling)"
    return f"{path}: {loc}: {msg}"


# PyYAML's safe loader on libyaml's parser where it is there (the same data, about eight
# times faster): every process (command, report worker, kernel) reads the instruments, the
# rules and the message catalogue, a quarter of a CPU-second each with the Python parser.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> dict:
    """A YAML file holding a mapping; a missing file, bad YAML or UTF-8, or another top level
    is an ``InstrumentError`` naming the file."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except FileNotFoundError:
        raise InstrumentError([f"{path}: file not found"]) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InstrumentError([f"{path}: not valid YAML/UTF-8: {exc}"]) from None
    if not isinstance(raw, dict):
        raise InstrumentError([f"{path}: (top level): expected a mapping of fields"])
    return raw


def load_instrument(path: str | Path) -> Instrument:
    """Read and validate one instrument file; raise ``InstrumentError`` listing every problem.

    An instrument is immutable, and parsing and validating its YAML takes about 0.05 s:
    every lookup (``get_instrument`` reads every file) would pay that again, in each report
    several times. So an instrument is kept per file and content (a digest of its bytes): a
    file read before is not parsed again, an edited one is."""
    path = Path(path)
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return _read_instrument(path)  # its error names the file
    return _cached_instrument(path, digest)


@lru_cache(maxsize=64)
def _cached_instrument(path: Path, digest: str) -> Instrument:
    """``_read_instrument`` once per file and content (the digest is only the cache's key)."""
    return _read_instrument(path)


def _read_instrument(path: Path) -> Instrument:
    raw = read_yaml(path)
    try:
        return Instrument.model_validate(raw)
    except ValidationError as exc:
        raise InstrumentError([_format_error(path, e) for e in exc.errors()]) from None


def load_mapping(path: str | Path) -> VersionMapping:
    """Read a version mapping and check it against both instruments it names; raise
    ``InstrumentError`` listing every problem, each with the file and field."""
    path = Path(path)
    try:
        mapping = VersionMapping.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise InstrumentError([_format_error(path, e) for e in exc.errors()]) from None
    before = get_instrument(mapping.instrument, mapping.from_version)
    after = get_instrument(mapping.instrument, mapping.to_version)
    problems = mapping_problems(mapping, before, after)
    if problems:
        raise InstrumentError([f"{path}: {p}" for p in problems])
    return mapping


def validate_files(paths: Iterable[str | Path]) -> list[str]:
    """Validate instrument and mapping files; return every problem found (empty when all are
    valid). A file named ``<id>-v<a>-to-v<b>.yaml`` is a mapping, any other an instrument."""
    problems: list[str] = []
    for path in paths:
        load = load_mapping if MAPPING_NAME.match(Path(path).name) else load_instrument
        try:
            load(path)
        except InstrumentError as exc:
            problems.extend(exc.problems)
    return problems


def instrument_dirs() -> list[Path]:
    """Where instruments are looked up: the packaged folder, then the own folder of this
    process's project (``project.active()``, if any)."""
    settings = project.active()
    own = settings.questionnaires_dir if settings else None
    return [QUESTIONNAIRE_DIR] + (
        [own] if own and own.is_dir() and own != QUESTIONNAIRE_DIR else []
    )


def instrument_files(directory: Path | None = None) -> list[Path]:
    """Instrument files (``<id>-v<version>.yaml``) in ``directory``, else in every lookup folder."""
    folders = [directory] if directory else instrument_dirs()
    return [p for f in folders for p in sorted(f.glob("*-v*.yaml")) if is_instrument_file(p)]


def is_instrument_file(path: Path) -> bool:
    """``<id>-v<version>….yaml``, and not a version mapping (``<id>-v<a>-to-v<b>.yaml``)."""
    return not MAPPING_NAME.match(path.name)


def mapping_files(directory: Path | None = None) -> list[Path]:
    """Version mapping files (``<id>-v<a>-to-v<b>.yaml``) in ``directory``, else in every
    lookup folder."""
    folders = [directory] if directory else instrument_dirs()
    return [
        p for f in folders for p in sorted(f.glob("*-to-v*.yaml")) if MAPPING_NAME.match(p.name)
    ]


def get_mapping(instrument_id: str, from_version: int, to_version: int) -> VersionMapping:
    """The checked mapping from one version of an instrument to another (the project's own
    file wins over the packaged one)."""
    name = f"{instrument_id}-v{from_version}-to-v{to_version}.yaml"
    found = [folder / name for folder in instrument_dirs() if (folder / name).is_file()]
    if not found:
        raise InstrumentError(
            [f"no version mapping {name} in {', '.join(str(d) for d in instrument_dirs())}"]
        )
    return load_mapping(found[-1])


def mapping_chain(
    instrument_id: str, from_version: int, to_version: int
) -> tuple[list[Instrument], list[VersionMapping]]:
    """The versions and mappings that lead from ``from_version`` to ``to_version``: a direct
    mapping file when there is one, else one mapping per step between consecutive versions
    (v1 → v2 → v3), each of which must exist (the error names the missing file)."""
    if to_version <= from_version:
        raise InstrumentError(
            [
                f"{instrument_id}: a version mapping leads from an older version to a newer one, not v{from_version} to v{to_version}"
            ]
        )
    direct = f"{instrument_id}-v{from_version}-to-v{to_version}.yaml"
    if any((folder / direct).is_file() for folder in instrument_dirs()):
        versions = [from_version, to_version]
    else:
        known = {i.version for i in available_instruments().values() if i.id == instrument_id}
        versions = sorted(
            v for v in known | {from_version, to_version} if from_version <= v <= to_version
        )
    mappings = [
        get_mapping(instrument_id, a, b) for a, b in zip(versions[:-1], versions[1:], strict=True)
    ]
    return [get_instrument(instrument_id, v) for v in versions], mappings


def older_wording(instrument: Instrument) -> FormerWording:
    """How the older versions of ``instrument`` worded the items it still asks alike
    (``versions.former_wording``), for an import of an export made with an older form. An
    older version without a mapping chain to this one contributes nothing.

    Finding it loads every older version and mapping (about 0.1–0.3 s), and an import asks
    for it per file: so it is kept per instrument and state of the files that define it
    (their names, sizes and modification times), and made again when one changes."""
    files = tuple(
        (str(p), p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(instrument_files() + mapping_files())
    )
    key = (instrument.key, instrument.content_hash, files)
    if key not in _OLDER_WORDING:
        if len(_OLDER_WORDING) >= 16:
            _OLDER_WORDING.clear()
        _OLDER_WORDING[key] = _older_wording(instrument)
    return _OLDER_WORDING[key]


_OLDER_WORDING: dict[tuple, FormerWording] = {}


def _older_wording(instrument: Instrument) -> FormerWording:
    older = sorted(
        i.version
        for i in available_instruments().values()
        if i.id == instrument.id and i.version < instrument.version
    )
    wordings = []
    for version in reversed(older):
        try:
            versions, mappings = mapping_chain(instrument.id, version, instrument.version)
        except InstrumentError:
            continue
        pairs = chained_items([*versions[:-1], instrument], mappings)
        wordings.append(former_wording(versions[0], instrument, pairs))
    return merged_wording(wordings)


def available_instruments(directory: Path | None = None) -> dict[str, Instrument]:
    """Every instrument keyed by ``id-vN``; the same key in two files is an ``InstrumentError``."""
    found: dict[str, tuple[Instrument, Path]] = {}
    for path in instrument_files(directory):
        instrument = load_instrument(path)
        if instrument.key in found:
            raise InstrumentError(
                [
                    f"{instrument.id} v{instrument.version} is defined twice: {found[instrument.key][1]} "
                    f"and {path}; give the project's own file a higher version"
                ]
            )
        found[instrument.key] = (instrument, path)
    return {key: instrument for key, (instrument, _) in found.items()}


def get_instrument(
    instrument_id: str, version: int | None = None, directory: Path | None = None
) -> Instrument:
    """The instrument ``instrument_id`` at ``version`` (default: the newest version)."""
    everything = available_instruments(directory).values()
    candidates = [i for i in everything if i.id == instrument_id]
    if version is not None:
        candidates = [i for i in candidates if i.version == version]
    if not candidates:
        known = sorted({i.id for i in everything})
        wanted = instrument_id + (f" v{version}" if version else "")
        raise InstrumentError(
            [f"unknown instrument '{wanted}'; known instruments: {', '.join(known)}"]
        )
    return max(candidates, key=lambda i: i.version)


def rules_files() -> list[Path]:
    """The recommendation rules files, merged in this order (``analysis.recommend``): the
    packaged rules, then the project's ``questionnaires/recommendations.yaml`` if it has one
    (its rules for an instrument version replace the packaged ones for that version)."""
    own = [
        folder / RULES_NAME for folder in instrument_dirs()[1:] if (folder / RULES_NAME).is_file()
    ]
    return [QUESTIONNAIRE_DIR / RULES_NAME, *own]


def instrument_digest(instrument_id: str) -> str:
    """A digest of every file that defines ``instrument_id``: its versions and version
    mappings, in every lookup folder. Part of the up-to-date key of its rounds' analyses and
    reports, so that editing a project's instrument file makes them again."""
    digest = hashlib.sha256()
    for path in sorted(instrument_files() + mapping_files()):
        name = MAPPING_NAME.match(path.name)
        if (name.group("id") if name else _file_id(path)) == instrument_id:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _file_id(path: Path) -> str | None:
    """The instrument id a file ``<id>-v<version>….yaml`` holds (by its content, which wins
    over its name)."""
    try:
        return load_instrument(path).id
    except InstrumentError:
        return None


def json_schema() -> dict:
    """The JSON Schema of the instrument format, for editors and other tools."""
    schema = Instrument.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "dwp-assess instrument"
    return schema


def export_json_schema(path: Path = QUESTIONNAIRE_DIR / "schema.json") -> Path:
    """Write ``json_schema()`` to ``path`` (a test keeps the committed copy in sync)."""
    path.write_text(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n", "utf-8")
    return path
