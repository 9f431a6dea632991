"""Which library each variant runs on, importing it lazily, and installed versions."""

from __future__ import annotations

import enum
import importlib
import importlib.metadata
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Callable, Optional


class Status(enum.Enum):
    OK = "ok"
    MISMATCH = "MISMATCH"
    ERROR = "error"
    NOT_INSTALLED = "not installed"
    NOT_IMPLEMENTED = "not yet implemented"


class VariantUnavailable(Exception):
    """A variant that cannot run here, for a reason that is not a failure of the variant."""

    def __init__(self, status: Status, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Library:
    """The library a variant runs on.

    ``peer`` libraries are optional: when missing, the variant is "not installed". A missing
    non-peer (autotape itself, numba) is an error. ``required_attribute`` names a feature the
    variant needs: without it the variant is "not yet implemented".
    """

    module: str
    peer: bool
    required_attribute: Optional[str] = None
    configure: Optional[Callable[[ModuleType], None]] = None

    def load(self) -> ModuleType:
        try:
            module = importlib.import_module(self.module)
        except ImportError as error:
            missing = (error.name or "").split(".")[0]
            if self.peer and missing == self.module.split(".")[0]:
                raise VariantUnavailable(Status.NOT_INSTALLED, "") from None
            raise
        if self.required_attribute and not hasattr(module, self.required_attribute):
            raise VariantUnavailable(
                Status.NOT_IMPLEMENTED,
                f"{self.module}.{self.required_attribute} is missing",
            )
        if self.configure is not None:
            self.configure(module)
        return module


def _enable_jax_float64(jax: ModuleType) -> None:
    jax.config.update("jax_enable_x64", True)


# Variant name -> library, in the order variants run and are shown. The baseline comes first:
# its result is the reference every other variant is checked against.
LIBRARIES: dict[str, Library] = {
    "autotape": Library("autotape", peer=False),
    "autotape_jit": Library("autotape", peer=False, required_attribute="tape_function"),
    "autotape_jit_tape": Library("autotape", peer=False, required_attribute="tape_function"),
    "numba": Library("numba", peer=False),
    "jax": Library("jax", peer=True, configure=_enable_jax_float64),
    "torch": Library("torch", peer=True),
    "autograd": Library("autograd", peer=True),
    "tensorflow": Library("tensorflow", peer=True),
}

BASELINE = "autotape"

# Distributions whose versions describe a run.
VERSIONED_DISTRIBUTIONS = (
    "autotape", "numpy", "numba", "llvmlite",
    "jax", "jaxlib", "torch", "autograd", "tensorflow", "matplotlib",
)


def installed_version(distribution: str) -> Optional[str]:
    """The installed version, without importing the package; None when not installed."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        module = sys.modules.get(distribution)
        return getattr(module, "__version__", None)
