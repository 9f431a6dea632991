"""The symbolic partial derivatives of the formulas (used for derivatives of derivatives)
against central differences, evaluated with NumPy."""

import numpy as np
import pytest

from autotape.kernels import formulas

NUMPY = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos,
    "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "exp": np.exp,
    "log": np.log, "log1p": np.log1p, "expm1": np.expm1, "sqrt": np.sqrt, "sign": np.sign,
    "floor": np.floor, "round": np.rint, "where": np.where,
    "sigmoid": lambda u: 1 / (1 + np.exp(-u)), "softplus": lambda u: np.logaddexp(0, u),
}

# The derivative formulas: the ones differentiated again for higher orders.
EXPRESSIONS = sorted(({spec.derivative for spec in formulas.UNARY.values()}
                      | {e for spec in formulas.BINARY.values()
                         for e in (spec.derivative_a, spec.derivative_b)})
                     - {None, "1", "-1"})


def evaluate(expression, env):
    return eval(expression, {"__builtins__": {}}, {**NUMPY, **env})


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_partials_match_central_differences(expression):
    rng = np.random.default_rng(0)
    # a, b, y in (0.2, 0.8): inside every function's domain, away from kinks at 0 and ties
    env = {"a": rng.uniform(0.2, 0.8, 50), "b": rng.uniform(0.2, 0.8, 50) + 0.05,
           "y": rng.uniform(0.2, 0.8, 50)}
    for name in "aby":
        if not formulas.uses(expression, name):
            assert formulas.partial(expression, name) == "0"
            continue
        analytic = evaluate(formulas.partial(expression, name), env) * np.ones(50)
        h = 1e-6
        plus = evaluate(expression, {**env, name: env[name] + h})
        minus = evaluate(expression, {**env, name: env[name] - h})
        numeric = (plus - minus) / (2 * h) * np.ones(50)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-6,
                                   err_msg=f"d({expression})/d{name}")


def test_partial_folds_constants():
    assert formulas.partial("a * b", "a") == "b"
    assert formulas.partial("sin(b)", "a") == "0"
    assert formulas.partial("where(a > 0, 1.0, 0.0)", "a") == "0"
