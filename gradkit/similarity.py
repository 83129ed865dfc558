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
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

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

    skip = sorted(getattr(_fingerprint("stubs", boilerplate, []), "hashes")) if boilerplate else []
    students = sorted(s for s, c in code.items() if c.strip())
    shared = _shared_fingerprints(
        [np.fromiter(getattr(_fingerprint("submission", code[s], skip), "hashes"), dtype=np.int64)
         for s in students], common)
    # Only the few candidates are fingerprinted again, whole: a fingerprint's positions for
    # 5,000 submissions at once would take gigabytes.
    whole: dict[int, object] = {}
    pairs = []
    for (i, j), n in sorted(shared.items()):
        if n < MIN_SHARED:
            continue
        for k in (i, j):
            if k not in whole:
                whole[k] = _fingerprint("submission", code[students[k]], skip)
        _, (cover_a, cover_b), _ = compare_files(whole[i], whole[j])
        if min(cover_a, cover_b) >= threshold:
            pairs.append(Pair(inert.line(students[i]), inert.line(students[j]),
                              round(float(min(cover_a, cover_b)), 3),
                              (round(float(cover_a), 3), round(float(cover_b), 3))))
    return sorted(pairs, key=lambda p: (-p.similarity, p.a, p.b))


def _shared_fingerprints(hashes: list[np.ndarray], common: int) -> Counter[tuple[int, int]]:
    """(i, j) -> how many fingerprints submissions i < j share, counting only fingerprints
    held by at most ``common`` submissions (an index sorted by hash, in numpy)."""
    if not hashes:
        return Counter()
    values = np.concatenate(hashes)
    owners = np.repeat(np.arange(len(hashes)), [len(h) for h in hashes])
    order = np.argsort(values, kind="stable")
    values, owners = values[order], owners[order]
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    sizes = np.diff(np.r_[starts, len(values)])
    shared: Counter[tuple[int, int]] = Counter()
    for start, size in zip(starts[(sizes > 1) & (sizes <= common)].tolist(),
                           sizes[(sizes > 1) & (sizes <= common)].tolist()):
        group = sorted(set(owners[start:start + size].tolist()))
        shared.update((a, b) for n, a in enumerate(group) for b in group[n + 1:])
    return shared
