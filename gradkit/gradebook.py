"""Gradebook files a course's LMS imports: Canvas's and Moodle's grade-import CSVs.

Students are known to the batch by their submission's folder or zip name; an LMS knows
them by its own ids. An optional roster CSV maps one to the other: a ``folder`` column
(the name of the student's folder or zip, without ``.zip``) and any of ``name``,
``canvas_id``, ``sis_user_id``, ``sis_login_id``, ``section``, ``email``. Without a
roster (or for a student it lacks), the folder name stands in: as Canvas's SIS Login
ID and Moodle's email address. Every cell goes through ``inert.csv_cell``: a folder
name or roster entry is text a spreadsheet shows, never a formula.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .inert import csv_cell

# Canvas's gradebook import: these five columns, then one column per assignment; a
# "Points Possible" row under the header gives each assignment's maximum.
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
# Moodle's CSV grade import: an identifier column mapped to a user field on import
# ("Email address" -> email address), then one column per grade item.
MOODLE_ID = "Email address"
ROSTER_FIELDS = ("name", "canvas_id", "sis_user_id", "sis_login_id", "section", "email")


@dataclass
class Row:
    """One student's grade as the gradebook sees it."""
    student: str  # the folder or zip name
    score: float
    max_score: float


def read_roster(path: Path | None) -> dict[str, dict[str, str]]:
    """Folder name -> {field: value} from the roster CSV (a BOM from Excel is fine)."""
    if path is None:
        return {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if "folder" not in (reader.fieldnames or []):
            raise ValueError(f"{path}: the roster needs a 'folder' column (the student's "
                             f"folder or zip name), then any of {', '.join(ROSTER_FIELDS)}")
        return {r["folder"].strip(): {k: (r.get(k) or "").strip() for k in ROSTER_FIELDS}
                for r in reader if (r.get("folder") or "").strip()}


def _points(x: float) -> str:
    return f"{x:g}"


def write_canvas(rows: list[Row], path: Path, assignment: str,
                 roster: dict[str, dict[str, str]] | None = None) -> None:
    roster = roster or {}
    most = max((r.max_score for r in rows), default=0.0)
    with _open(path) as fh:
        writer = csv.writer(fh)
        writer.writerow([*CANVAS_COLUMNS, csv_cell(assignment)])
        writer.writerow(["Points Possible", "", "", "", "", _points(most)])
        for row in rows:
            who = roster.get(row.student, {})
            writer.writerow([csv_cell(v) for v in (
                who.get("name") or row.student, who.get("canvas_id", ""),
                who.get("sis_user_id", ""), who.get("sis_login_id") or row.student,
                who.get("section", ""))] + [_points(row.score)])


def write_moodle(rows: list[Row], path: Path, assignment: str,
                 roster: dict[str, dict[str, str]] | None = None) -> None:
    roster = roster or {}
    with _open(path) as fh:
        writer = csv.writer(fh)
        writer.writerow([MOODLE_ID, csv_cell(assignment)])
        for row in rows:
            who = roster.get(row.student, {})
            writer.writerow([csv_cell(who.get("email") or row.student), _points(row.score)])


def _open(path: Path) -> TextIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    return open(path, "w", newline="", encoding="utf-8")
