"""No reference, hidden check or solution is reachable from a submission, in every deployment
layout: a submission that imports every module it can name and reads every file it can find
(walking its sys.path, /, the environment's paths) reports what it reached, and the grading
of each layout (Gradescope's run_autograder over a venv with the kit installed as setup.sh
installs it, PrairieLearn's entrypoint, grade-batch, a Dask worker) must report nothing.

The walk runs inside the sandbox, so these tests need namespace isolation (root, or user
namespaces); elsewhere the kit documents that nothing is hidden and they are skipped."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from pathlib import Path

import pytest

from gradkit import bundle
from gradkit.untrusted import isolation
from tests.kit import KIT, SOLUTIONS, cli_env

pytestmark = pytest.mark.skipif(
    isolation.requested() not in ("auto", "namespaces") or not isolation.namespaces_possible(),
    reason="only namespace isolation hides the kit from student code")

# What a reference, hidden check or solution looks like from outside: a definition of a
# marked reference, a file of the kit's checks or solutions, the recorded answers.
REFERENCE_DEFINITIONS = ["def gd_ref(", "def sgd_ref(", "def ls_ref(", "def ridge_ref(",
                         "def reference_names(", "def reference_zero_grad(", "def frozen_ref(",
                         "def _order(spec", "def reference_drawing(", "def _converges_at("]
KIT_NAMES = ["checks", "checks.gd_loop", "checks.graph_leaves", "checks.engine_graphs",
             "checks.hidden", "checks.hidden.gd_loop", "checks.pictures", "solutions",
             "solutions.gd_loop", "tests", "tests.kit", "tests.mutants"]


def _solution_lines() -> list[str]:
    """From each solution module, its longest line that neither the stubs nor the engine
    hold: finding it anywhere means the solution's source was readable."""
    elsewhere = "\n".join(p.read_text(encoding="utf-8") for folder in ("exercises", "gradkit")
                          for p in (KIT / folder).rglob("*.py"))
    found = []
    for module in sorted(SOLUTIONS.glob("*.py")):
        lines = {line.strip() for line in module.read_text(encoding="utf-8").splitlines()}
        own = sorted((line for line in lines if len(line) > 30 and line not in elsewhere
                      and not line.startswith(("#", '"', "def "))), key=len)
        if own:
            found.append(own[-1])
    return found


PROBE = '''
import importlib, importlib.util, json, os, pkgutil, sys, time

MARKERS = {markers!r}
NAMES = {names!r}
KIT_FILES = {kit_files!r}
TEXT = (".py", ".json", ".txt", ".toml", ".ini", ".md", ".cfg", ".pth", ".sh", "")
HITS, READ = [], [0]


def _names():
    for name in NAMES:  # found is enough: importing would only run the kit's code here
        try:
            if importlib.util.find_spec(name) is not None:
                HITS.append(["import", name])
        except Exception:
            pass
        yield
    HITS.extend(["loaded", m] for m in list(sys.modules)
                if m.split(".")[0] in ("checks", "solutions", "tests"))


def _modules():
    import gradkit
    for info in pkgutil.walk_packages(gradkit.__path__, "gradkit."):
        if info.name.endswith("__main__"):
            continue
        try:
            module = importlib.import_module(info.name)
        except BaseException:
            continue
        for attr in dir(module):
            if "def " + attr + "(" in " ".join(MARKERS):
                HITS.append(["attribute", info.name + "." + attr])
        yield


def _files():
    roots = [p for p in sys.path if p and os.path.isdir(p)]
    roots += [v for v in os.environ.values() if v.startswith("/") and os.path.isdir(v)]
    roots += [os.getcwd(), os.path.expanduser("~"), "/"]
    seen = set()
    for root in roots:
        for folder, dirs, files in os.walk(root):
            if folder in seen or folder.startswith(("/proc", "/sys", "/dev")):
                dirs[:] = []
                continue
            seen.add(folder)
            kit_folder = os.path.basename(folder) in ("checks", "solutions", "hidden")
            for f in files:
                path = os.path.join(folder, f)
                if kit_folder and f in KIT_FILES:
                    HITS.append(["file", path])
                if os.path.realpath(path) == os.path.realpath(__file__):
                    continue  # its own markers
                if os.path.splitext(f)[1] not in TEXT:
                    continue
                try:
                    if os.path.getsize(path) > 2_000_000:
                        continue
                    with open(path, encoding="utf-8", errors="replace") as fh:
                        text = fh.read()
                except OSError:
                    continue
                READ[0] += 1
                HITS.extend(["text", path + ": " + m[:30]] for m in MARKERS if m in text)
                yield


# One walk over every call (each within its time limit): each call goes on where the last
# stopped and reports everything so far.
_WORK = [_names(), _files(), _modules()]


def converges(a, lr):
    deadline = time.monotonic() + 2  # well inside the call time limit, on a loaded machine too
    while _WORK and time.monotonic() < deadline:
        try:
            next(_WORK[0])
        except StopIteration:
            _WORK.pop(0)
    done = "done" if not _WORK else "partial"
    if HITS:
        raise RuntimeError("REACH-FOUND " + json.dumps(HITS[:6]))
    raise RuntimeError("REACH-CLEAN files=%d %s" % (READ[0], done))
'''


def _probe_submission(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    kit_files = sorted({p.name for p in (KIT / "checks").rglob("*.py")} | {"answers.json"})
    source = PROBE.format(markers=REFERENCE_DEFINITIONS + _solution_lines(), names=KIT_NAMES,
                          kit_files=kit_files)
    (folder / "gd_loop.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return folder


def _reached(results_text: str) -> str:
    """What the probe reported: anything it found, else its widest clean walk (each call of
    converges walks again; a call cut short by its time limit reports nothing)."""
    plain = results_text.replace("\\", "")  # Gradescope's Markdown escapes - and =
    found = re.findall(r"REACH-(?:CLEAN files=\d+|FOUND .{0,600})", plain)
    at = max(0, results_text.find("converges") - 200)
    assert found, f"the probe did not report (was converges graded?): {results_text[at:at + 3000]}"
    bad = [f for f in found if f.startswith("REACH-FOUND")]
    return bad[0] if bad else max(found, key=lambda f: int(f.split("=")[1]))


def _assert_clean(results_text: str) -> None:
    reached = _reached(results_text)
    assert reached.startswith("REACH-CLEAN"), reached
    assert int(reached.split("=")[1]) > 200, f"the probe read too little to prove anything: {reached}"


@pytest.fixture
def open_folder():
    folder = Path(tempfile.mkdtemp(prefix="gradkit-reach-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_probe_finds_the_kit_when_nothing_hides_it(tmp_path):
    """The probe itself works: without a sandbox it reaches the checks at once."""
    submission = _probe_submission(tmp_path / "probe")
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "-m", "gradkit", "grade", str(submission), "--format",
                           "json", "--out", str(out), "--topics", "gd_loop"], cwd=KIT,
                          env=cli_env(GRADKIT_ISOLATION="none"), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert _reached(out.read_text()).startswith("REACH-FOUND")


def _venv_like_setup_sh(root: Path, source: Path) -> Path:
    """/autograder/venv as setup.sh makes it: a fresh venv with the kit installed (not
    editable) from the zip's source. Its dependencies come from this kit's venv (a .pth:
    nothing is downloaded)."""
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python*/site-packages"))
    deps = next(p for p in sys.path if p.endswith("site-packages") and os.path.isdir(p))
    (site / "kit-deps.pth").write_text(deps + "\n")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                           "--no-build-isolation", "--target", str(site), str(source)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    installed = {p.name for p in site.iterdir()}
    assert "gradkit" in installed and "checks" not in installed, installed
    return venv / "bin" / "python"


def test_gradescope_layout_hides_every_reference(open_folder):
    root = open_folder / "autograder"
    with zipfile.ZipFile(bundle.autograder(open_folder / "autograder.zip")) as zf:
        zf.extractall(root / "source")
    python = _venv_like_setup_sh(root, root / "source")
    shutil.rmtree(root / "source" / "build", ignore_errors=True)
    _probe_submission(root / "submission")
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], capture_output=True,
                          text=True, timeout=600,
                          env={**os.environ, "GRADKIT_AUTOGRADER_ROOT": str(root),
                               "GRADKIT_PYTHON": str(python), "GRADKIT_LANG": "en"})
    assert done.returncode == 0, done.stderr[-2000:]
    _assert_clean((root / "results" / "results.json").read_text())


def test_prairielearn_layout_hides_every_reference(open_folder):
    kit = open_folder / "serverFilesCourse" / "gradkit"
    shutil.copytree(KIT, kit, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "report", "__pycache__", "tests"))
    root = open_folder / "grade"
    _probe_submission(root / "student")
    done = subprocess.run(["bash", str(kit / "lms" / "prairielearn" / "run")], capture_output=True,
                          text=True, timeout=600,
                          env={**os.environ, "GRADKIT_PL_ROOT": str(root),
                               "GRADKIT_PYTHON": sys.executable, "GRADKIT_LANG": "en"})
    assert done.returncode == 0, done.stderr[-2000:]
    _assert_clean((root / "results" / "results.json").read_text())


def _batch(folder: Path, extra: list[str]) -> str:
    _probe_submission(folder / "class" / "student1")
    done = subprocess.run([sys.executable, "-m", "gradkit", "grade-batch", str(folder / "class"),
                           "--csv", str(folder / "grades.csv"), "--out-dir",
                           str(folder / "results"), *extra], cwd=KIT, env=cli_env(),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return "\n".join(p.read_text() for p in (folder / "results").glob("student1*"))


def test_grade_batch_hides_every_reference(open_folder):
    _assert_clean(_batch(open_folder, ["--jobs", "1"]))


try:  # the same real scheduler and workers as test_dask's
    from tests.test_dask import cluster  # noqa: F401 (a fixture)
except pytest.skip.Exception:
    @pytest.fixture
    def cluster():
        pytest.skip("Dask is not installed")


def test_a_dask_worker_hides_every_reference(open_folder, cluster):
    address, certs = cluster
    _assert_clean(_batch(open_folder, [
        "--scheduler", address, "--tls-ca", str(certs / "ca.pem"),
        "--tls-cert", str(certs / "client.pem"), "--tls-key", str(certs / "client.key")]))
