"""Write the synthetic rounds as the files survey tools produce, plus a manifest.

Each round's organisations are split over three formats so every importer is
exercised by the demo: about 60% in the project template (CSV), 20% as a
Microsoft Forms export (XLSX) and 20% as a LimeSurvey export (``;``,
Windows-1252). Each file carries a few deliberate imperfections that the
importer must quarantine or skip; ``manifest.json`` states how many, so tests
can check the whole chain. Formats: ``docs/import-formats.md``.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook

from dwp_assess import ids
from dwp_assess.data.sample import SEED, SyntheticRound, generate_rounds
from dwp_assess.data.sample_collaborations import write_data_sharing
from dwp_assess.instruments.model import Instrument

FIXED_TIME = datetime(2026, 1, 1)
FORMAT_SHARES = (("template", 0.6), ("msforms", 0.2), ("limesurvey", 0.2))


@dataclass
class FileEntry:
    path: str
    format: str
    rows: int
    expected_stored: int
    expected_already_present: int
    expected_quarantined: int
    imperfections: list[str] = field(default_factory=list)


def _wide(rnd: SyntheticRound, cell) -> pd.DataFrame:
    """One row per respondent, one column per item/free text, cells rendered by ``cell``."""
    ins = rnd.instrument
    answers = rnd.answers.copy()
    answers["cell"] = [
        cell(ins, i, v, c, t)
        for i, v, c, t in answers[["item_id", "value", "code", "text"]].itertuples(index=False)
    ]
    wide = answers.pivot(index="response_id", columns="item_id", values="cell")
    ids = [i.id for i in ins.items] + [f.id for f in ins.free_text]
    wide = wide.reindex(index=rnd.respondents["response_id"], columns=ids).astype(object)
    wide = wide.where(wide.notna(), "")
    return rnd.respondents.set_index("response_id").join(wide).reset_index()


def _special_label(ins: Instrument, item_id: str, code: str, lang: str = "nl") -> str:
    scale = ins.scale_of(item_id)
    return next(s.label.get(lang) for s in scale.special if s.code == code)


def template_cell(ins: Instrument, item_id, value, code, text) -> str:
    if text is not None and not isinstance(text, float):
        return text
    if code == "dont_know":
        return "weet ik niet"
    if code == "not_applicable":
        return "n.v.t."
    return str(int(value))


def msforms_cell(ins: Instrument, item_id, value, code, text) -> str:
    if text is not None and not isinstance(text, float):
        return text
    if isinstance(code, str):
        return _special_label(ins, item_id, code)
    label = ins.scale_of(item_id).points[int(value) - 1].label.nl
    # Some items exported in lower case, as happens when a form is edited: matching must not care.
    return label.lower() if int(value) % 2 == 0 and zlib.crc32(item_id.encode()) % 7 == 0 else label


def limesurvey_cell(ins: Instrument, item_id, value, code, text) -> str:
    if text is not None and not isinstance(text, float):
        return text
    if isinstance(code, str):
        return {"dont_know": "DK", "not_applicable": "NA"}[code]
    return f"A{int(value)}"


def partition(orgs: list[str], rng: np.random.Generator) -> dict[str, list[str]]:
    """Split organisations over the formats (about 60/20/20)."""
    shuffled = list(rng.permutation(orgs))
    parts, start = {}, 0
    for fmt, share in FORMAT_SHARES:
        end = len(shuffled) if fmt == FORMAT_SHARES[-1][0] else start + round(share * len(shuffled))
        parts[fmt] = sorted(shuffled[start:end])
        start = end
    return parts


def write_template(rnd: SyntheticRound, orgs: list[str], path: Path) -> FileEntry:
    wide = _wide(rnd, template_cell)
    wide = wide[wide["organisation_id"].isin(orgs)].reset_index(drop=True)
    good = len(wide)
    unknown = wide.iloc[[0]].assign(
        response_id=lambda d: d["response_id"] + "-x1", organisation_id="Gemeente Goudaa"
    )
    first_item = rnd.instrument.items[0].id
    out_of_range = wide.iloc[[1]].assign(
        response_id=lambda d: d["response_id"] + "-x2", **{first_item: "7"}
    )
    duplicate = wide.iloc[[2]]
    frame = pd.concat([wide, unknown, out_of_range, duplicate], ignore_index=True)
    if not rnd.instrument.kind_spec.in_teams:
        frame = frame.drop(columns=["team_id"])
    frame.to_csv(path, index=False, lineterminator="\n")
    return FileEntry(
        path.name,
        "template",
        len(frame),
        good,
        1,
        2,
        [
            "row with unknown organisation 'Gemeente Goudaa'",
            f"row with {first_item} = 7 (out of range)",
            "exact duplicate of an earlier row (skipped as already present)",
        ],
    )


def _msforms_frame(
    rnd: SyntheticRound, wide: pd.DataFrame, names: dict, teams: dict
) -> pd.DataFrame:
    ins = rnd.instrument
    role_labels = {c.code: c.label.nl for c in ins.respondent_fields[0].choices}
    start = pd.to_datetime(wide["submitted_at"])
    frame = pd.DataFrame(
        {
            "Id": range(1, len(wide) + 1),
            "Start time": (start - pd.Timedelta(minutes=14)).dt.strftime("%-m/%-d/%y %H:%M:%S"),
            "Completion time": start.dt.strftime("%-m/%-d/%y %H:%M:%S"),
            "Email": "anonymous",
            "Name": "",
            "Organisatie": wide["organisation_id"].map(names),
        }
    )
    if ins.kind_spec.in_teams:
        frame["Team"] = wide["team_id"].map(teams)
    frame["Rol"] = wide["role"].map(role_labels)
    for item in ins.items:
        frame[item.text.nl] = wide[item.id]
    for free in ins.free_text:
        frame[free.text.nl] = wide[free.id]
    return frame


def write_msforms(rnd: SyntheticRound, orgs: list[str], names, teams, path: Path) -> FileEntry:
    wide = _wide(rnd, msforms_cell)
    wide = wide[wide["organisation_id"].isin(orgs)].reset_index(drop=True)
    frame = _msforms_frame(rnd, wide, names, teams)
    bad = frame.iloc[[0]].copy()
    bad["Id"] = len(frame) + 1
    bad[rnd.instrument.items[2].text.nl] = "Misschien"
    frame = pd.concat([frame, bad], ignore_index=True)
    wb = Workbook()
    sheet = wb.active
    sheet.title = "Sheet1"
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    wb.properties.created = wb.properties.modified = FIXED_TIME
    wb.save(path)
    return FileEntry(
        path.name,
        "msforms",
        len(frame),
        len(wide),
        0,
        1,
        [f"row with the answer 'Misschien' for {rnd.instrument.items[2].id}"],
    )


def write_limesurvey(rnd: SyntheticRound, orgs: list[str], names, path: Path) -> FileEntry:
    ins = rnd.instrument
    wide = _wide(rnd, limesurvey_cell)
    wide = wide[wide["organisation_id"].isin(orgs)].reset_index(drop=True)
    frame = pd.DataFrame(
        {
            "id": range(1, len(wide) + 1),
            "submitdate": pd.to_datetime(wide["submitted_at"]).dt.strftime("%Y-%m-%d %H:%M:%S"),
            "lastpage": len(ins.dimensions),
            "startlanguage": "nl",
            "seed": (np.arange(len(wide)) * 7919 % 100000).astype(str),
            "ORG": wide["organisation_id"].map(names),
            "TEAM": wide["team_id"].fillna(""),
            "ROLE": wide["role"],
        }
    )
    for item in ins.items:
        frame[f"{item.dimension.upper()}[{item.id}]"] = wide[item.id]
    for free in ins.free_text:
        frame[free.id] = wide[free.id]
    incomplete = frame.iloc[:3].copy()
    incomplete["id"] = range(len(frame) + 1, len(frame) + 4)
    incomplete["submitdate"] = ""
    incomplete["lastpage"] = 1
    incomplete.iloc[:, 12:] = ""
    frame = pd.concat([frame, incomplete], ignore_index=True)
    frame.to_csv(path, index=False, sep=";", encoding="cp1252", lineterminator="\r\n")
    return FileEntry(
        path.name,
        "limesurvey",
        len(frame),
        len(wide),
        0,
        3,
        ["3 incomplete responses (empty submitdate)"],
    )


def write_sample(out_dir: Path, seed: int = SEED) -> dict:
    """Generate the registry and every round's files in ``out_dir``; return the manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    orgs, teams, rounds = generate_rounds(seed)
    orgs.drop(columns=["inhabitants"]).to_csv(
        out_dir / "organisations.csv", index=False, lineterminator="\n"
    )
    teams.to_csv(out_dir / "teams.csv", index=False, lineterminator="\n")
    names = dict(zip(orgs["id"], orgs["name"], strict=True))
    team_names = dict(zip(teams["id"], teams["name"], strict=True))
    rng = np.random.default_rng(seed + 1)
    manifest = {"synthetic": True, "seed": seed, "rounds": []}
    for rnd in rounds:
        folder = ids.output_path(out_dir, rnd.round_id)
        folder.mkdir(exist_ok=True)
        parts = partition(sorted(rnd.respondents["organisation_id"].unique()), rng)
        entries = [
            write_template(rnd, parts["template"], folder / "template.csv"),
            write_msforms(rnd, parts["msforms"], names, team_names, folder / "msforms.xlsx"),
            write_limesurvey(rnd, parts["limesurvey"], names, folder / "limesurvey.csv"),
        ]
        for entry in entries:
            entry.path = f"{rnd.round_id}/{entry.path}"
        manifest["rounds"].append(
            {
                "round_id": rnd.round_id,
                "instrument_id": rnd.instrument.id,
                "instrument_version": rnd.instrument.version,
                "period": rnd.period,
                "respondents": len(rnd.respondents),
                "answers": len(rnd.answers),
                "files": [e.__dict__ for e in entries],
            }
        )
    # the data-sharing round: collaborations with planted disagreements (sample_collaborations)
    manifest["rounds"].append(write_data_sharing(out_dir, seed)[1])
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8"
    )
    return manifest
