"""Run-time detectors for the topics' rules, installed in the worker before
any student module is imported.

They watch what the code does, never what its source says. Each one wraps
the single choke point its rule is about, so aliases and indirect routes are
caught too. (A TorchDispatchMode would also work, but entering any mode makes
torch import ``torch._dynamo``, two seconds per worker.)
"""

from __future__ import annotations

import torch
import torch.autograd.variable


class _Watch:
    def __init__(self):
        self.used = False

    def reset(self) -> None:
        self.used = False


class AutogradWatch(_Watch):
    """Notes any run of the autograd engine's backward pass.

    ``backward()``, ``torch.autograd.grad``, ``torch.func.grad`` and direct
    ``Variable._execution_engine`` calls all go through the engine object.
    """

    def install(self) -> None:
        holder = torch.autograd.variable.Variable
        holder._execution_engine = _EngineSpy(holder._execution_engine, self)


class _EngineSpy:
    def __init__(self, engine, watch: AutogradWatch):
        self._engine = engine
        self._watch = watch

    def run_backward(self, *args, **kwargs):
        self._watch.used = True
        return self._engine.run_backward(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._engine, name)


class OptimizerWatch(_Watch):
    """Notes whether any ``torch.optim`` optimizer was built."""

    def install(self) -> None:
        original = torch.optim.Optimizer.__init__
        watch = self

        def spying_init(opt, *args, **kwargs):
            watch.used = True
            original(opt, *args, **kwargs)

        torch.optim.Optimizer.__init__ = spying_init
