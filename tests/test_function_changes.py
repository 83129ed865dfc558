"""gradkit.function_changes: which functions a save can change, read from the source.
Every case a careless or a cunning student could write where grading one function alone
would be wrong must answer "the whole topic" (None) or name the function it reaches."""

from gradkit.function_changes import affected, moved

FNS = ["f", "g", "h"]

BASE = '''"""A topic."""
import torch

SCALE = 2.0


def _helper(x):
    return x * SCALE


def f(x):
    return _helper(x) + 1


def g(x):
    return _helper(x) - 1


def h(x):
    return torch.zeros_like(x)
'''


def changed(after: str, before: str = BASE) -> list[str] | None:
    return affected(before, after, FNS)


def test_a_change_inside_one_function_regrades_it_alone():
    assert changed(BASE.replace("return torch.zeros_like(x)", "return torch.ones_like(x)")) == ["h"]
    assert changed(BASE.replace("_helper(x) + 1", "_helper(x) + 2")) == ["f"]


def test_comments_spacing_and_docstrings_regrade_nothing():
    assert changed(BASE.replace("def h(x):", "# a note\n\ndef h(x):  # why\n")) == []
    assert changed(BASE.replace('"""A topic."""', '"""Another word."""')) == []
    assert changed(BASE) == []


def test_a_helper_used_by_several_functions_regrades_each_of_them():
    assert changed(BASE.replace("x * SCALE", "x * SCALE * 3")) == ["f", "g"]
    assert changed(BASE.replace("SCALE = 2.0", "SCALE = 3.0")) == ["f", "g"]


def test_a_later_definition_wins_and_counts_as_a_change():
    again = BASE + "\n\ndef _helper(x):\n    return x\n"
    assert changed(again) == ["f", "g"]
    assert changed(BASE + "\n\ndef g(x):\n    return x\n") == ["g"]
    assert changed(BASE, before=again) == ["f", "g"]  # and removing it again


def test_module_level_code_imports_and_unreadable_reach_regrade_the_whole_topic():
    assert changed(BASE + "\nprint('hi')\n") is None  # code run at import
    assert changed(BASE + "\nimport numpy\n") is None  # a new import may run code
    assert changed(BASE.replace("import torch", "")) is None
    assert changed(BASE + "\nTABLE = {'a': _helper(1)}\n") is None  # a call at import
    assert changed(BASE + "\nfor _ in range(2):\n    pass\n") is None
    assert changed("def f(:\n", before=BASE) is None  # does not parse: the grading says why
    assert changed(BASE.replace("return x * SCALE", "return globals()['h'](x)")) is None
    assert changed(BASE.replace("return x * SCALE", "global SCALE\n    SCALE += 1\n    return x")) is None
    assert changed(BASE.replace("return torch.zeros_like(x)", "return getattr(torch, 'ones_like')(x)")) \
        is None
    assert changed(BASE.replace("return torch.zeros_like(x)", "return eval('x')")) is None


def test_module_level_code_that_uses_a_changed_name_regrades_the_whole_topic():
    calls_it = BASE + "\nprint(_helper(1))\n"
    assert changed(calls_it.replace("x * SCALE", "x * SCALE * 3"), before=calls_it) is None


def test_an_alias_or_a_decorator_follows_the_name_it_reads():
    aliased = BASE + "\nfast = _helper\n\n\ndef h(x):\n    return fast(x)\n"
    assert changed(aliased.replace("x * SCALE", "x + SCALE"), before=aliased) == ["f", "g", "h"]
    decorated = BASE.replace("def g(x):", "def _wrap(fn):\n    return fn\n\n\n@_wrap\ndef g(x):")
    assert changed(decorated.replace("return fn\n", "return lambda x: 0\n"), before=decorated) == ["g"]


def test_an_alias_bound_before_a_redefinition_moves_with_it():
    """``fast = _helper`` binds the definition before it: moving a redefinition across it
    changes what ``fast`` is, though no line of either changed."""
    first = BASE + "\nfast = _helper\n\n\ndef _helper(x):\n    return x\n\n\ndef h(x):\n    return fast(x)\n"
    second = BASE + "\n\ndef _helper(x):\n    return x\n\n\nfast = _helper\n\n\ndef h(x):\n    return fast(x)\n"
    assert "h" in changed(second, before=first)


def test_a_class_its_methods_and_what_they_use():
    with_class = BASE + "\n\nclass Net:\n    def run(self, x):\n        return _helper(x)\n" \
        "\n\ndef h(x):\n    return Net().run(x)\n"
    assert changed(with_class.replace("return _helper(x)\n\n\ndef h", "return x\n\n\ndef h"),
                   before=with_class) == ["h"]
    assert changed(with_class.replace("x * SCALE", "x"), before=with_class) == ["f", "g", "h"]


def test_moved_names_the_functions_whose_lines_shifted():
    shifted = BASE.replace("def f(x):\n    return _helper(x) + 1\n",
                           "def f(x):\n    y = _helper(x)\n    return y + 1\n")
    assert moved(BASE, shifted, FNS) == ["f", "g", "h"]  # f grew: g and h are lower now
    assert moved(BASE, BASE.replace("return torch.zeros_like(x)", "return torch.ones_like(x)"),
                 FNS) == []
    assert moved(BASE, "def f(:\n", FNS) == []
