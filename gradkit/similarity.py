"""Similar submissions: pairs whose code is near-identical once names, comments,
strings and whitespace are normalised. For a human to look at, never a penalty.

The fingerprints and the comparison are copydetect's (a maintained implementation of
the winnowing that MOSS uses: pygments tokens, every name replaced by one letter,
k-gram hashes, winnowed), not a home-made diff. Comparing every pair of 5,000
students would be 12.5 million comparisons, so candidate pairs come from an index
of fingerprints first (MOSS does the same): a fingerprint held by more than
``COMMON`` submissions is common code, not copying, and is left out of the index;
only pairs that share fingerprints are compared.

The source is read from the submissions folder that ``grade-batch`` graded (one
folder or zip per student; zips are read in memory with the batch's caps, never
unpacked), and only the modules of the graded topics count.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from . import catalog, inert

# copydetect's own defaults (noise and guarantee thresholds 25): every 25-token run is a
# fingerprint, and a copied run of 25 tokens or more is always found.
K, WINDOW = 25, 1
THRESHOLD = 0.8  # both submissions at least 80 % covered by the other's code
COMMON = 10  # MOSS's default: a passage in more than 10 programs is ignored
MIN_SHARED = 10  # fewer shared fingerprints than this is not worth comparing
MAX_PAIRS = 200  # the page lists at most this many (most similar first)
KIT_STUBS = Path(__file__).resolve().parent.parent / "exercises"


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    similarity: float  # the smaller of the two coverages, 0..1
    coverage: tuple[float, float]  # how much of a's and of b's code the other holds


def _fingerprint(name: str, code: str, boilerplate: list[int]) -> object:
    import matplotlib

    matplotlib.use("Agg")  # copydetect imports pyplot: never a display
    from copydetect import CodeFingerprint

    return CodeFingerprint(f"{name}.py", K, WINDOW, boilerplate=boilerplate,
                           fp=io.StringIO(code))


def modules(topics: Iterable[str] | None) -> list[str]:
    return [f"{t}.py" for t in (topics or catalog.TOPIC_NAMES)]


def read_source(entry: Path, wanted: list[str], limit: int = 100 << 20) -> str:
    """The topic modules of one submission (folder or zip), in ``wanted`` order, at any
    depth (as the grader finds them); what cannot be read counts as empty."""
    found: dict[str, str] = {}
    budget = limit
    try:
        if entry.is_dir():
            for path in sorted(entry.rglob("*.py")):
                if path.name in wanted and path.name not in found and path.is_file() \
                        and not path.is_symlink():
                    data = path.read_bytes()[:budget]
                    budget -= len(data)
                    found[path.name] = data.decode("utf-8", "replace")
        elif entry.suffix == ".zip":
            with zipfile.ZipFile(entry) as zf:
                for info in sorted(zf.infolist(), key=lambda i: i.filename):
                    name = Path(info.filename).name
                    if name in wanted and name not in found and info.file_size <= budget:
                        budget -= info.file_size
                        found[name] = zf.read(info).decode("utf-8", "replace")
    except (OSError, zipfile.BadZipFile, ValueError):
        pass
    return "\n".join(found.get(name, "") for name in wanted)


def sources(submissions: Path, topics: Iterable[str] | None = None) -> dict[str, str]:
    """Student id -> the code of their graded topic modules."""
    from .batch import submissions as listed

    wanted = modules(topics)
    return {student: read_source(entry, wanted) for student, entry in listed(submissions).items()}


def stub_code(folder: Path | None = None, topics: Iterable[str] | None = None) -> str:
    """The code every student starts from (the kit's exercise stubs): boilerplate, not copying."""
    folder = folder or KIT_STUBS
    return read_source(folder, modules(topics)) if folder.is_dir() else ""


def similar_pairs(code: dict[str, str], boilerplate: str = "", threshold: float = THRESHOLD,
                  common: int = COMMON) -> list[Pair]:
    """Pairs of students whose code covers each other's by ``threshold`` or more, most
    similar first."""
    from copydetect import compare_files

    skip = list(getattr(_fingerprint("stubs", boilerplate, []), "hashes", [])) if boilerplate else []
    prints = {s: _fingerprint("submission", c, skip) for s, c in code.items() if c.strip()}
    holders: dict[int, list[str]] = defaultdict(list)
    for student, fp in prints.items():
        for h in getattr(fp, "hashes"):
            holders[h].append(student)
    shared: Counter[tuple[str, str]] = Counter()
    for students in holders.values():
        if 1 < len(students) <= common:
            for i, a in enumerate(students):
                for b in students[i + 1:]:
                    shared[(a, b) if a < b else (b, a)] += 1
    pairs = []
    for (a, b), n in shared.items():
        if n < MIN_SHARED:
            continue
        _, (cover_a, cover_b), _ = compare_files(prints[a], prints[b])
        if min(cover_a, cover_b) >= threshold:
            pairs.append(Pair(inert.line(a), inert.line(b), round(float(min(cover_a, cover_b)), 3),
                              (round(float(cover_a), 3), round(float(cover_b), 3))))
    return sorted(pairs, key=lambda p: (-p.similarity, p.a, p.b))
