"""Checks every topic shares, one check each, parametrized over the topic's functions.

``samples`` maps a function name to ``device -> strategy of argument lists``.
These are rules about behaviour, not values: a few examples per function find a
rule broken (a rule broken on some inputs only is rare), so they run a quarter
of the value checks' examples.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import strategies as st

from checks.expect import Case
from gradkit.testing import given, text


def per_function(topic: str, names):
    """Parametrize a check over functions, each result counted for its own function."""
    return pytest.mark.parametrize("function", [
        pytest.param(name, marks=pytest.mark.grades(topic, name), id=name) for name in names])


def sample_args(strategy, to_args):
    """``device -> strategy of argument lists``: float64 draws of ``strategy`` through
    ``to_args(raw, dtype, device)``."""
    return lambda device: strategy().map(lambda raw: to_args(raw, torch.float64, device))


def _run_sample(student, topic, function, samples, device, data, leaves):
    args = data.draw(samples[function](device), label="args")
    case = Case(student, topic, function, *args)
    return case, case.run(leaves=leaves.get(function, ()))


def untouched_check(topic: str, samples: dict, leaves: dict | None = None):
    """``leaves``: function -> the argument indices the harness passes as leaves
    requiring grad."""
    leaves = leaves or {}

    @per_function(topic, samples)
    @given(fewer=True, data=st.data())
    def test_inputs_untouched(student, device, function, data):
        """Leaves its input tensors unchanged."""
        case, reply = _run_sample(student, topic, function, samples, device, data, leaves)
        if reply.mutated:
            names = [list(case.inputs)[i] for i in reply.mutated]
            case.fail(text("rule.mutated", names=", ".join(names)),
                      misconception="input_mutated")

    return test_inputs_untouched


def rule_check(topic: str, samples: dict, fact: str, message: str, misconception: str):
    """A check that the worker's watch named ``fact`` saw nothing during the call;
    ``message`` is the catalog key of what the student reads."""
    @per_function(topic, samples)
    @given(fewer=True, data=st.data())
    def check(student, device, function, data):
        case, reply = _run_sample(student, topic, function, samples, device, data, {})
        if fact == "autograd_used" and reply.facts.get("process_started"):
            # What a child process (or native code) computes is beyond the watches.
            case.fail(text("rule.process_started"), misconception=misconception)
        if reply.facts.get(fact):
            case.fail(text(message), misconception=misconception)

    return check
