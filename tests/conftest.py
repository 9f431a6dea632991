"""Shared fixtures for the autotape test suite."""

import os
import sys
import zlib
from dataclasses import dataclass

import numpy as np
import pytest

# Make the plain helper module ``gradcheck`` importable whatever pytest's import mode.
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

try:  # keep property-based tests cheap: Numba kernels compile per dtype / layout
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "autotape",
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        derandomize=True,
        database=None,
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "autotape"))
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    pass


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "modules: at.Module / at.layers / at.optimizers tests (a later feature); "
        "deselect with -m 'not modules'",
    )


@dataclass(frozen=True)
class Tol:
    """Tolerances for comparing a result of the given dtype with float64 references."""

    dtype: type
    rtol: float
    atol: float
    grad_rtol: float
    grad_atol: float


TOLERANCES = {
    np.float64: Tol(np.float64, rtol=1e-10, atol=1e-12, grad_rtol=1e-5, grad_atol=1e-7),
    np.float32: Tol(np.float32, rtol=1e-5, atol=1e-6, grad_rtol=1e-3, grad_atol=1e-4),
}


@pytest.fixture(params=[np.float64, np.float32], ids=["float64", "float32"])
def float_dtype(request):
    """Both float dtypes, with the tolerances to use for each (``Tol``)."""
    return TOLERANCES[request.param]


@pytest.fixture
def rng(request):
    """A NumPy Generator seeded from the test id: reproducible and different per test."""
    seed = zlib.crc32(request.node.nodeid.encode("utf-8"))
    return np.random.default_rng(seed)
