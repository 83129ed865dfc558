"""Run-time detectors for the topics' rules, installed in the worker before
any student module is imported.

They watch what the code does, never what its source says. Each one wraps
the single choke point its rule is about, so aliases and indirect routes are
caught too. (A TorchDispatchMode would also work, but entering any mode makes
torch import ``torch._dynamo``, two seconds per worker.)
"""

from __future__ import annotations

import contextlib
import sys

import torch
import torch.autograd.variable

from .drawing import BackwardRoots


class _Watch:
    def __init__(self):
        self.used = False
        self.folder = ""

    def reset(self, folder: str = "") -> None:
        """Forget what was seen; ``folder`` is the submission's, for watches that
        only count what the student's own code does."""
        self.used = False
        self.folder = folder


class AutogradWatch(_Watch):
    """Notes any run of the autograd engine's backward pass.

    ``backward()``, ``torch.autograd.grad``, ``torch.func.grad`` and direct
    ``Variable._execution_engine`` calls all go through the engine object.
    ``calls`` counts the backward passes (one per micro-batch, say).
    """

    def __init__(self):
        super().__init__()
        self.reset()

    def reset(self, folder: str = "") -> None:
        super().reset(folder)
        self.calls = 0
        self.roots = BackwardRoots()  # where each backward started: the student's graph

    def install(self) -> None:
        holder = torch.autograd.variable.Variable
        holder._execution_engine = _EngineSpy(holder._execution_engine, self)


@contextlib.contextmanager
def backward_roots():
    """Record where every backward pass run inside the block starts (the grader's side
    of the pictures), with the same spy the worker's watch installs for good."""
    watch = AutogradWatch()
    holder = torch.autograd.variable.Variable
    engine = holder._execution_engine
    holder._execution_engine = _EngineSpy(engine, watch)
    try:
        yield watch.roots
    finally:
        holder._execution_engine = engine


class _EngineSpy:
    def __init__(self, engine, watch: AutogradWatch):
        self._engine = engine
        self._watch = watch

    def run_backward(self, *args, **kwargs):
        self._watch.used = True
        self._watch.calls += 1
        if args:
            self._watch.roots.add(args[0])
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


class AttributeReadWatch(_Watch):
    """Notes whether the student's own code reads a tensor attribute (``is_leaf``).

    The attribute lives on torch's C base class; a property of the same name on
    ``torch.Tensor`` shadows it and forwards to it. Only reads from a frame in
    the submission's folder count: torch's own code may read it freely.
    """

    def __init__(self, attribute: str):
        super().__init__()
        self.attribute = attribute

    def install(self) -> None:
        original = torch._C.TensorBase.__dict__[self.attribute]
        watch = self

        def read(tensor):
            caller = sys._getframe(1).f_code.co_filename
            if watch.folder and caller.startswith(watch.folder + "/"):
                watch.used = True
            return original.__get__(tensor)

        setattr(torch.Tensor, self.attribute, property(read, doc=original.__doc__))
