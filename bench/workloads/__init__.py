"""The workloads; importing this package registers each in ``bench.registry.WORKLOADS``.

To add one: a module here that calls ``define_workload`` and registers a builder per variant
with ``@workload.variant(name)`` (names from ``bench.libraries.LIBRARIES``), imported below.
"""

from bench.workloads import (  # noqa: F401  (registration)
    scalar, elementwise, overhead, mlp, hessian, third, newton, gp)
