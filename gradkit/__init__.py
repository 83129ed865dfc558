"""gradkit: autograd exercises graded by property checks against torch.

From a notebook cell: ``import gradkit; gradkit.check("manual_grad")``,
``gradkit.check_all()``, ``gradkit.export()`` (see ``gradkit.notebook``). Importing
gradkit stays cheap: those names load their module (and nothing of torch) on first use.
"""

from __future__ import annotations

from typing import Any

_NOTEBOOK_API = ("check", "check_all", "export", "use_language")


def __getattr__(name: str) -> Any:
    if name in _NOTEBOOK_API:
        from . import notebook
        return getattr(notebook, name)
    raise AttributeError(f"module 'gradkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_NOTEBOOK_API))
