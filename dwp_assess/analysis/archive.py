"""A round packaged for a data archive (DANS): respondent and organisation files, codebook,
SPSS, Stata and a Frictionless data package.

Two tables, each written as CSV (UTF-8), SPSS ``.sav`` and Stata ``.dta`` from the same
coded frame, so every format holds the same values:

* ``respondents``: one row per response: pseudonymous ids, organisation, role (coded),
  every item (values; "weet ik niet" −1 and "n.v.t." −2, declared missing) and the
  dimension scores;
* ``organisations``: one row per organisation of the round: name, CBS code of the round's
  period, kind, size class, urbanisation, province (coded), number invited, responses,
  round, period, and the mean score per dimension.

One ``Variable`` list per table drives everything else: the SPSS measurement level
(nominal, ordinal, scale) and value labels, the Stata value labels, the codebook (every
column of every file, one row each) and the table schema in ``datapackage.json``
(Frictionless Data Package v1; validated with the ``frictionless`` library in the tests).
Free text that the instrument marks for researchers only (``show_in_reports: false``)
stays out unless ``include_free_text``; respondents' names are never in the store, so never
in an export.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyreadstat
from sqlalchemy.engine import Engine

from dwp_assess import ids
from dwp_assess.analysis.scoring import score_round
from dwp_assess.data import store
from dwp_assess.data.cells import safe_frame
from dwp_assess.data.classes import CLASSIFICATIONS, EXTRA_CODE
from dwp_assess.data.export import CODE_VALUES, long_table, wide_table
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.model import Instrument

ORGANISATION_CODED = ("kind", "size_class", "urbanisation", "province")  # data/classes.py
NOT_MUNICIPAL = -2  # the size class of a province or other body: not applicable, declared missing
MEASURES = ("nominal", "ordinal", "scale")
ARCHIVE_TEXTS = {
    "kind": ("Soort organisatie", "Kind of organisation"),
    "size_class": ("Grootteklasse (inwoners, CBS)", "Size class (inhabitants, CBS)"),
    "urbanisation": ("Stedelijkheid (CBS)", "Urbanisation (CBS)"),
    "province": ("Provincie", "Province"),
}


@dataclass(frozen=True)
class Variable:
    """One column: its labels, type (``string``, ``integer``, ``number``), SPSS measurement
    level, value labels (code → label) and the codes that mean missing."""

    name: str
    label_nl: str
    label_en: str
    type: str
    measure: str
    value_labels: dict[int, str] = field(default_factory=dict)
    missing: tuple[int, ...] = ()


def _coded(
    values: pd.Series, labels: dict[str, str] | None = None
) -> tuple[pd.Series, dict[int, str]]:
    """Text categories as codes 1, 2, …: the categories of ``labels`` (category → label) in
    their order first, then any other value found, sorted."""
    found = set(values.dropna().astype(str))
    categories = list(labels or {}) + sorted(found - set(labels or {}))
    codes = {c: n for n, c in enumerate(categories, start=1)}
    coded = values.map(lambda v: codes.get(str(v)) if pd.notna(v) else None).astype("Int64")
    return coded, {n: (labels or {}).get(c, c) for c, n in codes.items()}


def _classified(frame: pd.DataFrame, column: str) -> tuple[pd.Series, Variable]:
    """A registry column coded from its definition (``data.classes``): the same code for the
    same class in every project and round, ordinal where the classes are ordered; the size
    class of an organisation that is not a municipality is "not applicable"."""
    classification = CLASSIFICATIONS[column]
    codes = classification.codes(frame[column])
    coded = frame[column].map(
        lambda v: codes.get(str(v)) if pd.notna(v) and str(v).strip() else None
    )
    labels = {n: c for n, c in enumerate(classification.categories, start=1)}
    labels |= {n: v for v, n in codes.items() if n >= EXTRA_CODE}
    missing: tuple[int, ...] = ()
    if column == "size_class":
        municipal = frame["kind"] == "gemeente"
        unmatched = coded.isna() | (coded >= EXTRA_CODE)
        coded = coded.where(municipal | ~unmatched | frame[column].isna(), NOT_MUNICIPAL)
        labels = {NOT_MUNICIPAL: "n.v.t. (geen gemeente)"} | {
            n: c for n, c in labels.items() if (coded == n).any() or n < EXTRA_CODE
        }
        missing = (NOT_MUNICIPAL,)
    texts = ARCHIVE_TEXTS[column]
    measure = "ordinal" if classification.ordinal else "nominal"
    return coded.astype("Int64"), Variable(column, *texts, "integer", measure, labels, missing)


def _role_labels(instrument: Instrument) -> dict[str, str]:
    role = next((f for f in instrument.respondent_fields if f.id == "role"), None)
    return {c.code: c.label.nl for c in role.choices} if role else {}


def respondent_table(
    engine: Engine, round_id: str, instrument: Instrument, include_free_text: bool
) -> tuple[pd.DataFrame, list[Variable]]:
    """The coded respondent frame and its variables."""
    long = long_table(engine, round_id)
    wide = wide_table(long, instrument).drop(columns=["submitted_at"])
    shown = {f.id for f in instrument.free_text if f.show_in_reports or include_free_text}
    wide = wide.drop(columns=[f.id for f in instrument.free_text if f.id not in shown])
    scores = score_round(store.load_answers(engine, round_id), instrument)
    dims = [d.id for d in instrument.dimensions]
    score_wide = scores.pivot(index="response_id", columns="dimension_id", values="score")
    score_wide = score_wide.reindex(columns=dims).add_prefix("score_").reset_index()
    frame = wide.merge(score_wide, on="response_id", how="left")
    frame["role"], role_values = _coded(frame["role"], _role_labels(instrument))
    variables = [
        Variable(
            "response_id", "Code van de ingevulde vragenlijst", "Response id", "string", "nominal"
        ),
        Variable(
            "respondent_id",
            "Pseudoniem van de invuller",
            "Respondent pseudonym",
            "string",
            "nominal",
        ),
        Variable(
            "organisation_id",
            "Organisatie (registercode)",
            "Organisation (registry id)",
            "string",
            "nominal",
        ),
        Variable("team_id", "Team (registercode)", "Team (registry id)", "string", "nominal"),
        Variable(
            "role",
            "Rol van de invuller",
            "Role of the respondent",
            "integer",
            "nominal",
            role_values,
        ),
    ]
    for item in instrument.items:
        scale = instrument.scale_by_id[item.scale]
        labels = {int(p.value): p.label.nl for p in scale.points}
        labels |= {CODE_VALUES[s.code]: s.label.nl for s in scale.special}
        missing = tuple(CODE_VALUES[s.code] for s in scale.special)
        kind = "integer" if scale.points else "number"
        variables.append(
            Variable(item.id, item.text.nl, item.text.get("en"), kind, "ordinal", labels, missing)
        )
    for free in instrument.free_text:
        if free.id in shown:
            variables.append(
                Variable(free.id, free.text.nl, free.text.get("en"), "string", "nominal")
            )
    for dim in instrument.dimensions:
        variables.append(
            Variable(
                f"score_{dim.id}",
                f"Score {dim.label.nl} (gemiddelde van de items)",
                f"Score {dim.label.get('en')} (mean of the items)",
                "number",
                "scale",
            )
        )
    for v in variables:
        if v.type == "integer":
            frame[v.name] = pd.to_numeric(frame[v.name]).astype("Int64")
    return frame[[v.name for v in variables]], variables


def organisation_table(
    engine: Engine, round_id: str, instrument: Instrument, respondents: pd.DataFrame
) -> tuple[pd.DataFrame, list[Variable]]:
    """The coded organisation frame (attributes of the round's period and mean scores)."""
    info = store.get_round(engine, round_id)
    orgs = store.load_round_organisations(engine, round_id)
    dims = [f"score_{d.id}" for d in instrument.dimensions]
    means = respondents.groupby("organisation_id")[dims].mean()
    counts = respondents.groupby("organisation_id").size().rename("responses")
    frame = orgs.set_index("organisation_id").join(counts).join(means).reset_index()
    frame["round_id"], frame["period"] = round_id, info.period
    variables = [
        Variable(
            "organisation_id",
            "Organisatie (registercode)",
            "Organisation (registry id)",
            "string",
            "nominal",
        ),
        Variable(
            "name", "Naam van de organisatie", "Name of the organisation", "string", "nominal"
        ),
        Variable(
            "cbs_code",
            "CBS-code in de periode van de ronde",
            "CBS code in the round's period",
            "string",
            "nominal",
        ),
    ]
    coded = {column: _classified(frame, column) for column in ORGANISATION_CODED}
    for column, (values, variable) in coded.items():
        frame[column] = values
        variables.append(variable)
    variables += [
        Variable("invited", "Aantal uitgenodigd", "Number invited", "integer", "scale"),
        Variable(
            "responses", "Aantal ingevulde vragenlijsten", "Number of responses", "integer", "scale"
        ),
        Variable("round_id", "Ronde", "Round", "string", "nominal"),
        Variable("period", "Periode", "Period", "string", "nominal"),
    ]
    for dim in instrument.dimensions:
        variables.append(
            Variable(
                f"score_{dim.id}",
                f"Gemiddelde score {dim.label.nl}",
                f"Mean score {dim.label.get('en')}",
                "number",
                "scale",
            )
        )
    for column in ("invited", "responses"):
        frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    return frame[[v.name for v in variables]], variables


def _for_readstat(frame: pd.DataFrame, variables: list[Variable]) -> pd.DataFrame:
    """Strings as plain text (missing as empty), numbers as floats (missing as NaN)."""
    out = pd.DataFrame(index=frame.index)
    for v in variables:
        if v.type == "string":
            out[v.name] = frame[v.name].astype(object).where(frame[v.name].notna(), "").astype(str)
        else:
            out[v.name] = pd.to_numeric(frame[v.name]).astype("float64")
    return out


def write_sav(frame: pd.DataFrame, variables: list[Variable], path: Path) -> Path:
    """SPSS ``.sav``: variable labels, value labels, measurement levels, missing codes."""
    pyreadstat.write_sav(
        _for_readstat(frame, variables),
        str(path),
        column_labels=[v.label_nl for v in variables],
        variable_value_labels={
            v.name: {float(k): s for k, s in v.value_labels.items()}
            for v in variables
            if v.value_labels
        },
        missing_ranges={
            v.name: [{"lo": float(min(v.missing)), "hi": float(max(v.missing))}]
            for v in variables
            if v.missing
        },
        variable_measure={v.name: v.measure for v in variables},
    )
    return path


def write_dta(frame: pd.DataFrame, variables: list[Variable], path: Path) -> Path:
    """Stata ``.dta`` (version 15): variable labels and value labels (missing codes keep
    their labels; ``docs/research.md`` gives the ``mvdecode`` line)."""
    pyreadstat.write_dta(
        _for_readstat(frame, variables),
        str(path),
        column_labels=[v.label_nl[:80] for v in variables],
        variable_value_labels={v.name: dict(v.value_labels) for v in variables if v.value_labels},
    )
    return path


def codebook(tables: dict[str, list[Variable]]) -> pd.DataFrame:
    """Every column of every table: ``file, variable, label_nl, label_en, type, measure,
    value_labels, missing_values``."""
    rows = [
        {
            "file": name,
            "variable": v.name,
            "label_nl": v.label_nl,
            "label_en": v.label_en,
            "type": v.type,
            "measure": v.measure,
            "value_labels": "; ".join(f"{k}={s}" for k, s in v.value_labels.items()),
            "missing_values": ", ".join(str(m) for m in v.missing),
        }
        for name, variables in tables.items()
        for v in variables
    ]
    return pd.DataFrame(rows)


def _schema(variables: list[Variable]) -> dict:
    fields = []
    for v in variables:
        entry = {
            "name": v.name,
            "type": v.type,
            "title": v.label_en or v.label_nl,
            "description": v.label_nl,
        }
        if v.value_labels:
            entry["description"] += (
                " (" + "; ".join(f"{k}={s}" for k, s in v.value_labels.items()) + ")"
            )
        fields.append(entry)
    return {"fields": fields, "missingValues": [""]}


def datapackage(
    name: str, csv_files: dict[str, Path], tables: dict[str, list[Variable]], meta: dict
) -> dict:
    """A Frictionless Data Package descriptor of the CSV files, paths relative to it."""
    resources = [
        {
            "name": table,
            "path": path.name,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": _schema(tables[table]),
        }
        for table, path in csv_files.items()
    ]
    return {
        "profile": "tabular-data-package",
        "name": name,
        "title": meta["title"],
        "description": meta["description"],
        "version": "1.0.0",
        "resources": resources,
    }


def export_archive(
    engine: Engine, round_id: str, out_dir: Path, include_free_text: bool = False
) -> list[Path]:
    """Write the round's archive package into ``out_dir`` and return the files written."""
    info = store.get_round(engine, round_id)
    instrument = get_instrument(info.instrument_id, info.instrument_version)
    folder = ids.output_path(out_dir, round_id)
    folder.mkdir(parents=True, exist_ok=True)
    respondents, respondent_vars = respondent_table(engine, round_id, instrument, include_free_text)
    organisations, organisation_vars = organisation_table(engine, round_id, instrument, respondents)
    tables = {
        "respondents": (respondents, respondent_vars),
        "organisations": (organisations, organisation_vars),
    }
    written, csv_files = [], {}
    for name, (frame, variables) in tables.items():
        csv_path = folder / f"{name}.csv"
        safe_frame(frame).to_csv(
            csv_path, index=False, lineterminator="\n"
        )  # opens safely in Excel
        csv_files[name] = csv_path
        written += [
            csv_path,
            write_sav(frame, variables, folder / f"{name}.sav"),
            write_dta(frame, variables, folder / f"{name}.dta"),
        ]
    variables_of = {name: variables for name, (_, variables) in tables.items()}
    codebook_path = folder / "codebook.csv"
    safe_frame(codebook(variables_of)).to_csv(codebook_path, index=False, lineterminator="\n")
    meta = {
        "title": f"dwp-assess {round_id} ({instrument.key}, {info.period})",
        "description": f"Self-assessment round {round_id} of {instrument.title.get('en') or instrument.title.nl}; codebook in codebook.csv.",
    }
    descriptor = datapackage(ids.normalise(round_id), csv_files, variables_of, meta)
    descriptor["resources"].append(
        {
            "name": "codebook",
            "path": codebook_path.name,
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "profile": "tabular-data-resource",
            "schema": {
                "fields": [{"name": c, "type": "string"} for c in codebook(variables_of).columns],
                "missingValues": [""],
            },
        }
    )
    package_path = folder / "datapackage.json"
    package_path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return [*written, codebook_path, package_path]
