"""A zero_grad that does nothing, its arg_grads facts rewritten in the worker."""
import sys

import torch


def zero_grad(params, set_to_none):
    return None


_worker = sys.modules.get("gradkit.untrusted.worker")
if _worker is not None:
    _original = _worker._grad_facts

    def _grad_facts(t, grad_before):
        facts = _original(t, grad_before)
        if facts["grad"] is not None:
            facts["grad"] = torch.zeros_like(facts["grad"])
        return facts

    _worker._grad_facts = _grad_facts
