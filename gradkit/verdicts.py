"""The two ways a check fails, shared by the checks, the sandbox and the plugin.

Both carry structured facts (the input, what was expected, what came back) so
reporters can explain a failure in plain words without parsing tracebacks.
"""

from __future__ import annotations

from typing import Any


class CheckFailure(AssertionError):
    """The student's code ran and its answer is wrong.

    ``inputs`` maps argument names to the values of the (smallest) failing
    call; ``expected``/``got`` are the values compared; ``misconception`` is a
    catalog id when a known mistake explains the difference.
    """

    def __init__(self, message: str, *, inputs: dict[str, Any] | None = None, expected: Any = None,
                 got: Any = None, misconception: str | None = None, call: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.inputs = inputs
        self.expected = expected
        self.got = got
        self.misconception = misconception
        self.call = call


class _CouldNotAnswer:
    def __init__(self, kind: str, message: str, *, call: str | None = None,
                 inputs: dict[str, Any] | None = None) -> None:
        BaseException.__init__(self, message)  # type: ignore[arg-type]  # a mixin of exceptions
        self.kind = kind
        self.message = message
        self.call = call
        self.inputs = inputs
        self.misconception = None  # set by a check that recognises the error


class StudentError(_CouldNotAnswer, Exception):
    """The student's code could not produce an answer for this input.

    ``kind`` is one of: exception, harness, or (see
    ``FatalStudentError``) a kind that costs the whole function.
    """


class FatalStudentError(_CouldNotAnswer, BaseException):
    """The function cannot run, or ran in a way that costs the whole function:
    missing, not implemented, a syntax error, a hang, a crash, an exit, a
    BaseException, a flood of output, a value that cannot be sent back.

    A BaseException on purpose: hypothesis shrinks ordinary exceptions, which
    for an answer that can never change would only waste the run's time, and
    lets this one through at once.
    """

    KINDS = {"not_implemented", "missing_module", "missing_function", "syntax_error",
             "import_error", "timeout", "crash", "exit", "base_exception", "output_flood", "bad_return"}


def student_error(kind: str, message: str, call: str | None = None) -> StudentError | FatalStudentError:
    cls = FatalStudentError if kind in FatalStudentError.KINDS else StudentError
    return cls(kind, message, call=call)


STUDENT_ERRORS = (StudentError, FatalStudentError)
