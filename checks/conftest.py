"""Fixtures and hypothesis settings shared by every check.

Grading must be reproducible: derandomized hypothesis (a fixed seed per
check), no example database, no deadline, and torch's global generator put
under hypothesis's control so any torch randomness is seeded per example.
"""

import pytest
import torch
from hypothesis import HealthCheck, Phase, register_random, settings

from gradkit.testing import examples_per_check, text


class _TorchRandom:
    """torch's default (CPU) generator seen as a random.Random for hypothesis.

    Checks draw their torch randomness on the CPU; ``torch.manual_seed`` would
    also queue seeds for every accelerator backend, at a millisecond a call.
    """

    def seed(self, seed):
        torch.default_generator.manual_seed(int(seed) % 2**63)

    def getstate(self):
        return torch.get_rng_state()

    def setstate(self, state):
        torch.set_rng_state(state)


_TORCH_RANDOM = _TorchRandom()  # hypothesis keeps only a weak reference
register_random(_TORCH_RANDOM)

settings.register_profile(
    "grading",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=examples_per_check(),  # GRADKIT_EXAMPLES, else the kit's default
    print_blob=False,
    report_multiple_bugs=False,
    # No explain phase: it re-runs a failing check many times to annotate a printout
    # nobody reads (our failures are structured); half of a buggy topic's time.
    phases=[phase for phase in Phase if phase is not Phase.explain],
    suppress_health_check=list(HealthCheck),
)
settings.load_profile("grading")

NO_CUDA = text("note.no_cuda")
DEVICES = [
    pytest.param("cpu", id="cpu"),
    pytest.param("cuda", id="cuda",
                 marks=pytest.mark.skipif(not torch.cuda.is_available(), reason=NO_CUDA)),
]


@pytest.fixture(params=DEVICES)
def device(request):
    return request.param


@pytest.fixture(params=[torch.float32, torch.float64], ids=["float32", "float64"])
def dtype(request):
    return request.param
