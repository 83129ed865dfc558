"""Run-time detectors for the topics' rules, installed in the worker before
any student module is imported.

They watch what the code does, never what its source says. Each one wraps
the single choke point its rule is about, so aliases and indirect routes are
caught too. Below Python, a TorchDispatchMode (``EngineSpyMode``) is on torch's
mode stack while the student's function runs: every aten op dispatched inside a
backward graph task, whichever engine object or C++ entry point started it
(``backward``, ``autograd.grad``, ``torch.func``, a fresh ``_ImperativeEngine``), and
the op forward-mode AD runs when it attaches a tangent, mark autograd as used.
``torch.utils._python_dispatch`` comes with ``import torch`` (paid once, in the
zygote); the mode costs a few microseconds per op, and only during the student's
call.
"""

from __future__ import annotations

import contextlib
import re
import sys
from typing import Any, Callable, Iterator

import torch
import torch.autograd.variable
import torch.optim
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from .drawing import BackwardRoots


class _Watch:
    def __init__(self) -> None:
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

    def __init__(self) -> None:
        super().__init__()
        self.reset()

    def reset(self, folder: str = "") -> None:
        super().reset(folder)
        self.spy_calls = 0
        self.tasks: set[int] = set()  # graph tasks the dispatch mode saw ops of
        self.intact = True  # the mode was still where it was put when the call ended
        self.roots = BackwardRoots()  # where each backward started: the student's graph

    @property
    def calls(self) -> int:
        """Backward passes: those the engine object ran, or the graph tasks seen below it."""
        return max(self.spy_calls, len(self.tasks))

    def install(self) -> None:
        # (ignore: mypy takes torch.autograd.variable for the function of that name)
        holder = torch.autograd.variable.Variable  # type: ignore[attr-defined]
        holder._execution_engine = _EngineSpy(holder._execution_engine, self)
        self.mode = EngineSpyMode(self)
        _threads_carry(self.mode)
        _count_dual_levels()

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` with the dispatch-level spy (and the function-level modes of
        other watches, ``FUNCTION_MODES``) on torch's mode stacks."""
        mode, modes = self.mode, tuple(FUNCTION_MODES)
        for m in modes:
            torch._C._push_on_torch_function_stack(m)
        torch._C._push_on_torch_dispatch_stack(mode)
        try:
            return fn(*args)
        finally:
            intact = _pop_mode(mode, torch._C._len_torch_dispatch_stack,
                               torch._C._get_dispatch_stack_at,
                               lambda: torch._C._pop_torch_dispatch_stack(None))
            for m in reversed(modes):
                intact = _pop_mode(m, torch._C._len_torch_function_stack,
                                   torch._C._get_function_stack_at,
                                   torch._C._pop_torch_function_stack) and intact
            self.intact = intact


FUNCTION_MODES: list[TorchFunctionMode] = []  # TorchFunctionModes pushed around every student call


def dual_levels_entered() -> int:
    """Forward-mode AD levels entered in this process since the watch was installed."""
    return 0


def _count_dual_levels() -> None:
    """Forward-mode AD needs a dual level first (``make_dual`` refuses without one), and
    every route (``forward_ad.dual_level``, ``torch.func.jvp``/``jacfwd``) enters one through
    ``torch._C._enter_dual_level`` (which ``torch._functorch.predispatch`` binds as it is
    imported): counted in both places, below any dispatch mode or key."""
    import itertools

    import torch._functorch.predispatch as predispatch  # forward_ad's way in, bound at import
    global dual_levels_entered
    enter, entered = torch._C._enter_dual_level, itertools.count()

    def enter_dual_level(*args: Any, **kwargs: Any) -> Any:
        next(entered)
        return enter(*args, **kwargs)

    def count() -> int:
        return int(repr(entered)[6:-1])  # "count(n)": read without moving it on

    torch._C._enter_dual_level = enter_dual_level
    predispatch._enter_dual_level_impl = enter_dual_level
    dual_levels_entered = count


def threads_started() -> int:
    """Python threads started in this process since the watch was installed (none before)."""
    return 0


def _threads_carry(mode: TorchDispatchMode) -> None:
    """Modes are per thread: a Python thread the student starts gets the dispatch-level
    spy on its own stack, for good (the thread is the student's)."""
    import _thread
    import itertools
    import threading
    global threads_started
    original, push = _thread.start_new_thread, torch._C._push_on_torch_dispatch_stack
    started = itertools.count()  # only ever goes up: C code, and a closure cell the snapshot holds

    def start_new_thread(function: Callable[..., Any], args: tuple[Any, ...],
                         kwargs: dict[str, Any] | None = None) -> int:
        next(started)

        def body(*a: Any, **k: Any) -> Any:
            push(mode)
            return function(*a, **k)
        return original(body, args, kwargs or {})

    def count() -> int:
        return int(repr(started)[6:-1])  # "count(n)": read without moving it on

    _thread.start_new_thread = start_new_thread
    _thread.start_new = start_new_thread  # type: ignore[attr-defined]  # the old alias
    threading._start_new_thread = start_new_thread  # type: ignore[attr-defined]  # private
    fork = torch._C.fork  # torch.jit.fork: Python run on torch's own thread pool, counted alike

    def forked(*args: Any, **kwargs: Any) -> Any:
        next(started)
        return fork(*args, **kwargs)

    torch._C.fork = forked
    threads_started = count  # the count now read, held in the snapshot like any function


def _pop_mode(mode: object, length: Callable[[], int], at: Callable[[int], object],
              pop: Callable[[], object]) -> bool:
    """Take ``mode`` (and anything student code left above it) off its stack; False
    when the stack is not as it was left."""
    intact = length() > 0 and at(length() - 1) is mode
    for _ in range(64):
        if not length():
            return False
        if pop() is mode:
            return intact
    return False


class _NoDynamoDispatchMode(TorchDispatchMode):
    """A dispatch mode torch does not wrap in ``_disable_dynamo``: that wrapper imports
    ``torch._dynamo`` (800 modules, about 2 s of CPU) on the mode's first op, only to keep
    ``torch.compile`` from tracing into ``__torch_dispatch__``; our modes run no compiled code."""

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        return False


class EngineSpyMode(_NoDynamoDispatchMode):
    """Marks autograd used for any op dispatched inside a backward graph task (any
    route into the engine) and for the op forward-mode AD runs to attach a tangent."""

    def __init__(self, watch: AutogradWatch) -> None:
        super().__init__()
        self._watch = watch
        self._task = torch._C._current_graph_task_id
        self._dual = torch.ops.aten._has_same_storage_numel.default

    def __torch_dispatch__(self, func: Callable[..., Any], types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        task = self._task()
        if task != -1:
            self._watch.used = True
            self._watch.tasks.add(task)
        elif func is self._dual:
            self._watch.used = True
        return func(*args, **(kwargs or {}))


@contextlib.contextmanager
def backward_roots() -> Iterator[BackwardRoots]:
    """Record where every backward pass run inside the block starts (the grader's side
    of the pictures), with the same spy the worker's watch installs for good."""
    watch = AutogradWatch()
    # (ignore: mypy takes torch.autograd.variable for the function of that name)
    holder = torch.autograd.variable.Variable  # type: ignore[attr-defined]
    engine = holder._execution_engine
    holder._execution_engine = _EngineSpy(engine, watch)
    try:
        yield watch.roots
    finally:
        holder._execution_engine = engine


class _EngineSpy:
    def __init__(self, engine: Any, watch: AutogradWatch) -> None:
        self._engine = engine
        self._watch = watch

    def run_backward(self, *args: Any, **kwargs: Any) -> Any:
        self._watch.used = True
        self._watch.spy_calls += 1
        if args:
            self._watch.roots.add(args[0])
        return self._engine.run_backward(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)


_OPTIM_FUNCTIONS = re.compile(r"^(_single_tensor_|_multi_tensor_|_fused_)|^(sgd|adam|adamw|adagrad|"
                              r"adadelta|adamax|asgd|nadam|radam|rmsprop|rprop|sparse_adam)$")


class OptimizerWatch(_Watch):
    """Notes whether any ``torch.optim`` optimizer was built or stepped, however made:
    its ``__init__``; a global step pre-hook, with every optimizer class's ``step``
    hooked ahead of time (an object made with ``object.__new__`` steps through it too);
    and the functional update each ``step`` calls through its module."""

    def install(self) -> None:
        original = torch.optim.Optimizer.__init__
        watch = self

        def spying_init(opt: torch.optim.Optimizer, *args: Any, **kwargs: Any) -> None:
            watch.used = True
            original(opt, *args, **kwargs)

        torch.optim.Optimizer.__init__ = spying_init  # type: ignore[method-assign, assignment]  # the spy

        def step_hook(opt: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
            watch.used = True

        optimizer = sys.modules["torch.optim.optimizer"]
        optimizer.register_optimizer_step_pre_hook(step_hook)
        todo, seen = [torch.optim.Optimizer], set()
        while todo:
            cls = todo.pop()
            if cls in seen:
                continue
            seen.add(cls)
            todo += cls.__subclasses__()
            step = cls.__dict__.get("step")
            if step is not None and not getattr(step, "hooked", False):
                cls.step = torch.optim.Optimizer.profile_hook_step(  # type: ignore[method-assign, assignment]
                    step)
                cls.step.hooked = True  # type: ignore[attr-defined]  # a mark on the function
        for name, module in list(sys.modules.items()):
            if not name.startswith("torch.optim.") or module is None:
                continue
            for attr, fn in list(vars(module).items()):
                if callable(fn) and _OPTIM_FUNCTIONS.match(attr) and not isinstance(fn, type):
                    setattr(module, attr, _spying(fn, watch))


def _spying(fn: Callable[..., Any], watch: OptimizerWatch) -> Callable[..., Any]:
    def spying(*args: Any, **kwargs: Any) -> Any:
        watch.used = True
        return fn(*args, **kwargs)
    spying.__name__ = getattr(fn, "__name__", "spying")
    spying.__wrapped__ = fn  # type: ignore[attr-defined]  # as functools.wraps sets it
    return spying


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

        def read(tensor: torch.Tensor) -> Any:
            caller = sys._getframe(1).f_code.co_filename
            if watch.folder and caller.startswith(watch.folder + "/"):
                watch.used = True
            return original.__get__(tensor)

        setattr(torch.Tensor, self.attribute, property(read, doc=original.__doc__))
        FUNCTION_MODES.append(_GetterSpyMode(self, (original, torch.Tensor.__dict__[self.attribute])))


class _GetterSpyMode(TorchFunctionMode):
    """Sees the C getter itself (``TensorBase.is_leaf.__get__(t)``, which the property
    on ``torch.Tensor`` never sees): torch hands every getter of a tensor to the
    function modes on its stack."""

    def __init__(self, watch: AttributeReadWatch, descriptors: tuple[Any, ...]) -> None:
        super().__init__()
        self._watch, self._descriptors = watch, descriptors

    def __torch_function__(self, func: Callable[..., Any], types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        owner = getattr(func, "__self__", None)  # torch passes the getter it finds by name
        if owner is not None and any(owner is d for d in self._descriptors):
            caller = sys._getframe(1).f_code.co_filename
            if self._watch.folder and caller.startswith(self._watch.folder + "/"):
                self._watch.used = True
        return func(*args, **(kwargs or {}))


def warm_up() -> None:
    """Pay once, in the zygote, what the first op under a Python mode costs (torch
    imports its tracing machinery then, seconds): every worker forked after it starts
    warm. Touches no CUDA."""
    class _Nothing(_NoDynamoDispatchMode):
        def __torch_dispatch__(self, func: Callable[..., Any], types: Any, args: tuple[Any, ...] = (),
                               kwargs: dict[str, Any] | None = None) -> Any:
            return func(*args, **(kwargs or {}))

    class _NothingHere(TorchFunctionMode):
        def __torch_function__(self, func: Callable[..., Any], types: Any, args: tuple[Any, ...] = (),
                               kwargs: dict[str, Any] | None = None) -> Any:
            return func(*args, **(kwargs or {}))

    with _NothingHere(), _Nothing():
        x = torch.ones(2, requires_grad=True)
        (x * 2).sum().backward()
        _ = x.is_leaf


class EngineLedger:
    """Every run of torch's autograd engine in this process, read from torch's own counter.

    Each backward pass is a C++ ``GraphTask`` that takes the next id of a process-wide
    atomic counter, whichever engine object, mode stack or dispatch-key state started it.
    Python code can hide a run from every mode and wrapper above, but it cannot turn that
    counter back. The harness reads it with a one-node backward of its own (about 10 µs,
    on an engine object of its own, with no mode on the stack) and attributes the runs
    between two reads: ``mark`` returns how many ran since the last read beyond what the
    harness itself ran. The ledger lives only in the worker's loop (no module global, no
    attribute of anything student code is handed); its class is in the harness's snapshot.
    """

    def __init__(self) -> None:
        # Python's thread count survives a fork while the threads do not: a worker forked
        # from a process that had threads (a Dask worker, a notebook kernel, pytest-xdist)
        # starts with that count, none of those threads here. Only threads above it count.
        import _thread
        self.inherited_threads = _thread._count()
        engine = torch._C._ImperativeEngine()  # not the spied one: a probe is no student call
        leaf = torch.zeros((), requires_grad=True)
        node = leaf.view(())
        seen = [-1]
        current = torch._C._current_graph_task_id

        def note(grad: Any) -> None:
            seen[0] = current()

        assert node.grad_fn is not None  # a view of a leaf that requires grad
        node.grad_fn.register_prehook(note)  # runs inside the probe's own graph task
        run, roots, grads, inputs = engine.run_backward, (node,), (torch.ones(()),), (leaf,)

        def probe() -> int:
            seen[0] = -1
            run(roots, grads, True, False, inputs, False, True)  # retain_graph: reusable
            return seen[0]

        self._probe = probe
        self._last = probe()
        self._duals = dual_levels_entered()
        self.outside = 0  # runs seen at import, between calls, or where a thread may have run them

    def mark(self, expected: int = 0) -> int:
        """Runs since the previous mark beyond ``expected`` (the harness's own backward
        passes), forward-mode AD levels entered included; a probe that cannot read the
        counter (its graph broken) counts as one unexplained run."""
        now, duals = self._probe(), dual_levels_entered()
        if now < 0:
            return 1
        extra = now - self._last - 1 - expected + duals - self._duals
        self._last, self._duals = now, duals
        return max(extra, 0)
