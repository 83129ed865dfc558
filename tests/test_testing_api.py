"""gradkit.testing.given: the float64 twin of a check draws fewer examples, from the same seed."""

import inspect

import hypothesis
import torch
from hypothesis import strategies as st

from gradkit.testing import given


def _drawn_values(dtype, fewer=False):
    seen = []
    with_profile = hypothesis.settings(derandomize=True, database=None, max_examples=20)
    hypothesis.settings.register_profile("testing-api", with_profile)
    previous = hypothesis.settings.get_current_profile_name()
    hypothesis.settings.load_profile("testing-api")
    try:
        # The check is defined under the profile, as checks are under conftest's.
        @given(x=st.integers(0, 10**9), fewer=fewer)
        def check(device, dtype, x):
            seen.append(x)
        check(device="cpu", dtype=dtype)
    finally:
        hypothesis.settings.load_profile(previous)
    return seen, check


def test_float64_twin_draws_a_quarter_of_the_examples_from_the_same_seed():
    float32, check = _drawn_values(torch.float32)
    float64, _ = _drawn_values(torch.float64)
    assert len(float32) == 20 and len(float64) == 5
    assert float64 == float32[:5]  # derandomized: same check, same seed, same first draws
    assert list(inspect.signature(check).parameters) == ["device", "dtype"]  # what pytest sees


def test_fewer_takes_a_quarter_for_both_dtypes():
    assert len(_drawn_values(torch.float32, fewer=True)[0]) == 5
    assert len(_drawn_values(torch.float64, fewer=True)[0]) == 3


def test_the_cached_seed_is_the_digest_hypothesis_computes():
    """gradkit.testing hashes a check's source once and adds each parametrization's node id:
    the seed is still hypothesis's own (so are the examples)."""
    from hypothesis.internal.reflection import function_digest

    from gradkit import testing

    def check(device, dtype, x):
        return x + 1  # any source

    assert testing._derandomized_digest(check) == function_digest(check)
    for node_id in (b"checks/engine.py::test_a[cpu-float32]", b"checks/engine.py::test_a[cpu-float64]"):
        check._hypothesis_internal_add_digest = node_id
        assert testing._derandomized_digest(check) == function_digest(check)
    assert len({testing._derandomized_digest(check), function_digest(check)}) == 1
    del check._hypothesis_internal_add_digest
    assert testing._derandomized_digest(check) != testing._DIGESTS[
        next(k for k in testing._DIGESTS if k[-1] == b"checks/engine.py::test_a[cpu-float32]")]


def test_the_examples_do_not_depend_on_which_modules_are_loaded(tmp_path, monkeypatch):
    """Hypothesis would mix the constants of every local module loaded into its draws, so a
    check's examples would change with what else the grader had imported (one topic or all,
    a warm --watch). A module full of constants is imported between two drawings."""
    import importlib
    import sys

    def drawn():
        seen = []
        with_profile = hypothesis.settings(derandomize=True, database=None, max_examples=300)

        @with_profile
        @hypothesis.given(x=st.integers(0, 10**9), y=st.floats(-1e6, 1e6))
        def check(x, y):
            seen.append((x, y))
        check()
        return seen

    before = drawn()
    folder = tmp_path / "grader_helpers"  # a local folder, not site-packages
    folder.mkdir()
    constants = "\n".join(f"C{i} = {123456789 + i * 7919}\nF{i} = {i * 1234.5678}"
                          for i in range(200))
    (folder / "many_constants.py").write_text(constants + "\n")
    monkeypatch.syspath_prepend(str(folder))
    importlib.import_module("many_constants")
    try:
        after = drawn()
    finally:
        sys.modules.pop("many_constants", None)
    assert before == after
    assert not {x for x, _ in after} & {123456789 + i * 7919 for i in range(200)}
