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
    "log2": np.log2, "log10": np.log10, "exp2": np.exp2, "asinh": np.arcsinh,
    "acosh": np.arccosh, "atanh": np.arctanh, "cbrt": np.cbrt, "trunc": np.trunc,
    "ceil": np.ceil, "signbit": np.signbit, "is_nan": np.isnan, "is_inf": np.isinf,
    "is_finite": np.isfinite, "atan2": np.arctan2, "hypot": np.hypot, "copysign": np.copysign,
}
# Expressions whose a lies elsewhere: acosh' is real for a > 1 only.
DOMAINS = {formulas.UNARY["acosh"].derivative: (1.2, 1.8)}

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
    env = {"a": rng.uniform(*DOMAINS.get(expression, (0.2, 0.8)), 50),
           "b": rng.uniform(0.2, 0.8, 50) + 0.05, "y": rng.uniform(0.2, 0.8, 50)}
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


def test_every_scalar_function_has_a_derivative_and_a_numpy_twin():
    assert set(formulas.SCALAR_FUNCTIONS) - {"where"} <= set(formulas._DERIVATIVES)
    assert set(formulas.SCALAR_FUNCTIONS) <= set(NUMPY)


@pytest.mark.parametrize("function", sorted(n for n, d in formulas._DERIVATIVES.items()
                                            if d != "0"))
def test_derivatives_of_the_scalar_functions(function):
    """Each entry of _DERIVATIVES (one formula per argument, in u and v) against central
    differences of the function itself."""
    derivatives = formulas._DERIVATIVES[function]
    if isinstance(derivatives, str):
        derivatives = (derivatives,)
    rng = np.random.default_rng(1)
    low = 1.2 if function == "acosh" else 0.2
    point = [rng.uniform(low, low + 0.6, 20), rng.uniform(-0.8, -0.2, 20)][:len(derivatives)]
    h = 1e-6
    for k, derivative in enumerate(derivatives):
        analytic = eval(derivative, {"__builtins__": {}},
                        {**NUMPY, **dict(zip("uv", point))}) * np.ones(20)
        plus, minus = list(point), list(point)
        plus[k], minus[k] = point[k] + h, point[k] - h
        numeric = (NUMPY[function](*plus) - NUMPY[function](*minus)) / (2 * h)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8,
                                   err_msg=f"d{function}/d{'uv'[k]}")


def test_partial_of_a_two_argument_function_sums_the_chain_rule():
    assert formulas.partial("hypot(a, 1.0)", "a") == "a / hypot(a, 1.0)"
    assert formulas.partial("hypot(a, b)", "b") == "b / hypot(a, b)"
    assert formulas.partial("hypot(a, a)", "a") == "a / hypot(a, a) + a / hypot(a, a)"
    assert formulas.partial("copysign(a, b)", "b") == "0"


def test_sinc_derivative_series_branch_matches_central_differences():
    """Near 0 sinc's derivative is a polynomial (see formulas._sinc_derivative): its partials
    there too, and it meets the closed form at the switch."""
    expression = formulas.UNARY["sinc"].derivative
    a = np.linspace(-0.249, 0.249, 41)
    analytic = evaluate(formulas.partial(expression, "a"), {"a": a})
    h = 1e-6
    numeric = (evaluate(expression, {"a": a + h}) - evaluate(expression, {"a": a - h})) / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-8)
    closed = lambda t: (np.cos(np.pi * t) - np.sinc(t)) / t  # noqa: E731
    for edge in (0.25 - 1e-9, -0.25 + 1e-9, 0.1, 1e-3):
        np.testing.assert_allclose(evaluate(expression, {"a": np.array([edge])}),
                                   closed(edge), rtol=1e-9)
