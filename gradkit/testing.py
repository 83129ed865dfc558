"""The public API for checks: everything a module in ``checks/`` needs from the kit.

A check module imports from here and from its sibling modules in ``checks/``, and from
nothing else of ``gradkit``: the engine behind these names may move without the
checks noticing. What is here:

- ``grades(topic, function, weight=1)``: the marker that says which function a check
  grades (``@grades(TOPIC, "ridge")`` is ``@pytest.mark.grades(TOPIC, "ridge")``).
- ``text``, ``misconception``, ``known_misconception``: student-facing text, by key,
  from ``gradkit/texts/*.toml`` (English and 中文).
- ``catalog``: topics, functions, parameters and points; ``function(topic, name)``.
- ``recipes``: autograd graphs as plain data, built the same way by grader and worker
  (``build``, ``pick``, ``name``, ``as_code``, ``requires_grad``).
- ``describe``: values and calls as the feedback shows them (``Code``, ``call``, ``value``).
- ``CheckFailure``, ``STUDENT_ERRORS``: what a failing check raises, and what a call to the
  student's code may raise instead of answering.
- ``BUDGET``: the shrink budget every call in a property check goes through;
  ``EVIDENCE``: what the checks saw pass and fail, for the diagnoses (gradkit/evidence.py).
- ``drawing``, ``backward_roots``: graphs as pictures, and the roots a backward ran from.
- ``given(**strategies, fewer=False)``: hypothesis's ``given`` for a check that may run in
  float32 and float64: the float64 run draws a quarter of the examples (what it adds is the
  dtype contract and precision), from the same seed; ``fewer=True`` takes a quarter for both.
  ``examples_per_check()``: what a float32 property check draws (``GRADKIT_EXAMPLES``, else
  ``DEFAULT_EXAMPLES``), which the grading profile (checks/conftest.py) reads.
- ``withheld(function)``: what the student bundle puts in place of a reference that is
  the answer (the check is skipped there, saying so).
- From ``checks/`` itself, loaded on first use (so there is no import cycle): ``Case``,
  ``case_factory`` and ``tensor`` (checks/expect.py), the diagnoses ``matches``,
  ``scaled``, ``when``, ``raised``, ``transposed`` (checks/diagnose.py), the strategies
  ``floats``, ``vectors``, ``matrices``, ``low_rank_matrices``, ``magnitudes``
  (checks/strategies.py) and the recipe strategies ``leaf``, ``op``, ``recipe``
  (checks/recipe_strategies.py).

Importing this module also keeps hypothesis's files (its ``.hypothesis/`` folder) in a
temporary folder instead of the current one, unless ``HYPOTHESIS_STORAGE_DIRECTORY``
says where (see ``keep_hypothesis_files_out_of_the_folder``).
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import importlib
import inspect
import os
import shutil
import stat
import tempfile
import time
from typing import Any, Callable

import hypothesis
import pytest
import torch
from hypothesis.internal.reflection import _clean_source, get_signature

from gradkit import catalog, describe, plan
from gradkit.catalog import function
from gradkit.evidence import EVIDENCE
from gradkit.i18n import known_misconception, misconception, text
from gradkit.shrink_budget import BUDGET
from gradkit.untrusted import drawing, recipes
from gradkit.untrusted.watch import backward_roots
from gradkit.verdicts import STUDENT_ERRORS, CheckFailure



class Withheld(pytest.skip.Exception):  # type: ignore[name-defined,misc]
    """A check skipped because its reference is not in the student bundle: its function
    is provisional (never passed) until the instructor grades."""


def withheld(function: str) -> None:
    """Skip this check, saying why: in the student bundle (gradkit/bundle.py) a reference
    that would be the answer to ``function`` is replaced by a look-up that calls this when
    it has no value; the check runs when the instructor grades."""
    raise Withheld(text("check.withheld", function=function))


# Examples per float32 property check, set by evidence: with 10 (and 3 for the float64 twins
# and rule checks) every mutant in tests/mutants still loses points on its function with the
# same misconception named; with 5, two accumulation mutants escape (README, "Examples").
DEFAULT_EXAMPLES = 10


def examples_per_check() -> int:
    """The examples a float32 property check draws: ``GRADKIT_EXAMPLES``, else the default."""
    return int(os.environ.get("GRADKIT_EXAMPLES") or DEFAULT_EXAMPLES)


def _quarter(examples: int) -> int:
    return max(3, examples // 4)


# hypothesis derives a derandomized check's seed, and its example-database key, from a
# digest of the check's source (inspect.getsource, ast and tokenize: milliseconds), its
# signature and the parametrization's node id, twice per call of every parametrization. The
# source and signature part is hashed once per check here, the node id added per call: the
# very digest hypothesis's ``function_digest`` computes, so the examples are the ones
# hypothesis would draw (tests/test_testing_api.py).
_SOURCE_HASHES: dict[tuple[Any, ...], Any] = {}
_DIGESTS: dict[tuple[Any, ...], bytes] = {}


def _source_hash(check: Callable[..., Any], key: tuple[Any, ...]) -> Any:
    """sha384 of the check's cleaned source and signature, as ``function_digest`` starts."""
    hasher = _SOURCE_HASHES.get(key)
    if hasher is None:
        hasher = hashlib.sha384()
        try:
            hasher.update(_clean_source(inspect.getsource(check)))
        except (OSError, TypeError):
            hasher.update(check.__name__.encode())
        try:
            hasher.update(repr(get_signature(check)).encode())
        except Exception:  # noqa: BLE001 - as function_digest: an unreadable signature adds nothing
            pass
        _SOURCE_HASHES[key] = hasher
    return hasher


def _derandomized_digest(check: Callable[..., Any], inner: Callable[..., Any] | None = None) -> bytes:
    """``inner``: the function hypothesis wraps (``check`` itself unless given), which its
    pytest plugin marks with the parametrization's node id."""
    code = check.__code__
    try:
        stamp: int | None = os.stat(code.co_filename).st_mtime_ns  # an edited check: digested again
    except OSError:
        stamp = None
    source_key = (code.co_filename, stamp, code.co_firstlineno, check.__qualname__)
    # hypothesis's pytest plugin tells parametrizations apart by this attribute (the node id).
    extra = getattr(check if inner is None else inner, "_hypothesis_internal_add_digest", None)
    key = (*source_key, extra)
    digest = _DIGESTS.get(key)
    if digest is None:
        hasher = _source_hash(check, source_key).copy()
        if extra is not None:
            hasher.update(extra)
        digest = _DIGESTS[key] = hasher.digest()
    return digest


def _seed_as_hypothesis_would(test: Any, check: Callable[..., Any]) -> bytes | None:
    """Give the hypothesis test the seed and database key ``derandomize`` would compute from
    ``check``'s source on this call, from the cache, and return it (None, doing nothing,
    unless derandomized)."""
    if not test._hypothesis_internal_use_settings.derandomize:
        return None
    digest = _derandomized_digest(check, test.hypothesis.inner_test)
    test._hypothesis_internal_use_seed = int.from_bytes(digest, "big")
    test._hypothesis_internal_database_key = digest
    return digest


def draw_no_local_constants() -> None:
    """Keep hypothesis from mixing constants found in the grader's own modules into draws.

    Hypothesis parses the source of every "local" module loaded (here: gradkit's and the
    checks') and, now and then, draws one of their constants instead of a random value. So
    the examples a check draws depended on which modules the process had loaded (one topic
    or all of them, a warm `--watch` or notebook grader, a batch worker), not only on the
    check; and parsing them cost a second per grading process. Hypothesis's own constants
    (edge values such as 0.5, 1e-5) are still drawn."""
    from hypothesis.internal.conjecture import providers

    none = providers.Constants()
    providers._get_local_constants = lambda: none
    providers.CONSTANTS_CACHE.cache.clear()  # any pool already built from them


draw_no_local_constants()


def given(*, fewer: bool = False, **strategies: Any) -> Callable[[Callable[..., Any]], Any]:
    """``hypothesis.given`` with a float64 twin of fewer examples (see the module's text).

    Two hypothesis tests wrap the same function, so both derive the same derandomized seed;
    the one pytest calls dispatches on the ``dtype`` argument. ``given`` and ``settings``,
    decided when the check is defined; the derandomized seed hypothesis would compute on each
    call is computed once (``_seed_as_hypothesis_would``)."""
    def decorate(check: Callable[..., Any]) -> Any:
        examples = hypothesis.settings().max_examples  # the loaded profile's
        if fewer:
            examples = _quarter(examples)
        drawn = tuple(strategies)
        inner = plan.recorded(check, drawn)  # hypothesis's examples, written down (gradkit/plan.py)
        full = hypothesis.settings(max_examples=examples)(hypothesis.given(**strategies)(inner))
        twin = hypothesis.settings(max_examples=_quarter(examples))(
            hypothesis.given(**strategies)(inner))

        @functools.wraps(full)
        def run(*args: Any, **kwargs: Any) -> Any:
            test = twin if kwargs.get("dtype") is torch.float64 else full
            seed = _seed_as_hypothesis_would(test, check)  # derandomized: a plan can hold
            return plan.PLAN.run(plan.check_key(seed) if seed else None,
                                 lambda: test(*args, **kwargs),
                                 lambda example: check(*args, **kwargs, **example), drawn)

        del run.__wrapped__  # pytest reads the signature given() made (no drawn arguments)
        run.__signature__ = inspect.signature(full)  # type: ignore[attr-defined]
        return run
    return decorate


def grades(topic: str, name: str, weight: float = 1.0) -> pytest.MarkDecorator:
    """The marker of a check that grades ``topic.name`` (its weight among that function's
    checks: 1 unless said). An unknown function fails here, at import, not in a grading."""
    catalog.function(topic, name)
    if weight == 1.0:
        return pytest.mark.grades(topic, name)
    return pytest.mark.grades(topic, name, weight=weight)


# Names that live in checks/ (the checks' own helpers), loaded when first asked for.
_FROM_CHECKS = {
    "checks.expect": ("Case", "case_factory", "tensor"),
    "checks.diagnose": ("matches", "scaled", "when", "raised", "transposed"),
    "checks.strategies": ("floats", "vectors", "matrices", "low_rank_matrices", "magnitudes"),
    "checks.recipe_strategies": ("leaf", "op", "recipe"),
}
_WHERE = {name: module for module, names in _FROM_CHECKS.items() for name in names}

__all__ = [
    "BUDGET", "EVIDENCE", "STUDENT_ERRORS", "CheckFailure", "backward_roots", "catalog", "describe",
    "drawing", "examples_per_check", "function", "given", "grades",
    "keep_hypothesis_files_out_of_the_folder", "known_misconception", "misconception", "recipes",
    "text", "withheld",
] + list(_WHERE)  # and, from checks/, on first use


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def keep_hypothesis_files_out_of_the_folder() -> str:
    """Point hypothesis's storage (its ``.hypothesis/`` folder: cached constants, charmaps)
    at a temporary folder, removed when this process exits, unless
    ``HYPOTHESIS_STORAGE_DIRECTORY`` already names one. Returns the folder used. Grading
    keeps no example database, so nothing of value is lost."""
    chosen = os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY")
    if chosen:
        return chosen
    from hypothesis import configuration

    remove_stale_hypothesis_folders()
    # the pid in the name: a later process can tell this folder's owner has ended
    folder = tempfile.mkdtemp(prefix=f"{HYPOTHESIS_PREFIX}{os.getpid()}-")
    configuration.set_hypothesis_home_dir(folder)
    owner = os.getpid()

    def remove() -> None:
        if os.getpid() == owner:  # not in a forked worker
            shutil.rmtree(folder, ignore_errors=True)

    atexit.register(remove)
    return folder


HYPOTHESIS_PREFIX = "gradkit-hypothesis-"
UNNAMED_STALE_AFTER_S = 24 * 3600


def remove_stale_hypothesis_folders(parent: str | None = None) -> list[str]:
    """Remove the hypothesis folders of processes that ended without removing their own
    (killed, or ended by ``os._exit`` as pytest-xdist's workers can be: no atexit runs):
    ``gradkit-hypothesis-<pid>-*`` whose pid no longer runs, and those of the older form
    without a pid that nothing touched for a day. This user's folders only; a pid of another
    pid namespace that shares the temporary folder counts as running. Returns those removed."""
    parent = parent or tempfile.gettempdir()
    try:
        names = os.listdir(parent)
    except OSError:
        return []
    removed = []
    for name in names:
        if not name.startswith(HYPOTHESIS_PREFIX):
            continue
        path = os.path.join(parent, name)
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            continue
        pid, dash, _ = name[len(HYPOTHESIS_PREFIX):].partition("-")
        if dash and pid.isdigit():
            stale = not _running(int(pid))
        else:
            stale = time.time() - info.st_mtime > UNNAMED_STALE_AFTER_S
        if stale:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        return True
    return True


HYPOTHESIS_FILES = keep_hypothesis_files_out_of_the_folder()
