"""The scalar formulas of every elementwise primitive: the one source of truth.

Each formula is a Python expression over scalars. Unary primitives see their input as
``a``; binary ones see ``a`` and ``b``. Derivative formulas may also use the primitive's
output ``y``. The vocabulary is the names in ``SCALAR_FUNCTIONS`` plus arithmetic and
comparisons, so the same text compiles into Numba loops (``kernels.elementwise``) and
evaluates on autotape Tensors (for derivatives of derivatives).

A derivative written as the literal ``"1"`` or ``"-1"`` means the gradient is the incoming
gradient itself (or its negation): no kernel runs for it.
"""

import ast
import functools
import math
from typing import NamedTuple


class Unary(NamedTuple):
    value: str
    derivative: str | None  # None: not differentiable
    # "float": ints compute in float64; "same": keep the dtype; "bool": a bool result (of
    # the value as a float: ints and bools compute in float64)
    result: str = "float"


class Binary(NamedTuple):
    value: str
    derivative_a: str | None
    derivative_b: str | None
    result: str = "same"  # "same", "float" or "bool"


# Functions the formulas may call. Each has a scalar version in kernels.elementwise and a
# Tensor version in autotape.ops.elementwise.
SCALAR_FUNCTIONS = (
    "sin cos tan asin acos atan sinh cosh tanh exp log log1p expm1 sqrt "
    "sign floor round sigmoid softplus where "
    "log2 log10 exp2 asinh acosh atanh cbrt trunc ceil signbit is_nan is_inf is_finite "
    "atan2 hypot copysign"
).split()

PI = repr(math.pi)
LN2, LOG2E, LOG10E = repr(math.log(2)), repr(1 / math.log(2)), repr(1 / math.log(10))


def _sinc_derivative(threshold=0.25, terms=8):
    """d/da sinc(a), sinc(a) = sin(pi a) / (pi a). For |a| < threshold its Maclaurin
    polynomial (Horner form, truncation below 1e-17 relative): exact at 0 (0 there, and its
    own derivatives are sinc's: -pi**2 / 3 for the second), no cancellation near 0, and no
    0 / 0 for any order. Elsewhere (cos(pi a) - sinc(a)) / a, whose a is guarded as in pow
    (the unselected branch never divides by 0, so no NaN reaches a gradient)."""
    coefficients = [(-1) ** k * 2 * k * math.pi ** (2 * k) / math.factorial(2 * k + 1)
                    for k in range(1, terms + 1)]
    series = repr(coefficients[-1])
    for c in reversed(coefficients[:-1]):
        series = f"{c!r} + a * a * ({series})"
    near = f"a * a < {threshold * threshold!r}"
    w = f"where({near}, 1.0, a)"
    direct = f"(cos({PI} * {w}) - sin({PI} * {w}) / ({PI} * {w})) / {w}"
    return f"where({near}, a * ({series}), {direct})"


def _log_add(exp, scale, tie):
    """NumPy's npy_logaddexp (exp, "", ln 2) and npy_logaddexp2 (exp2, "log2(e) * ", 1): the
    larger operand plus log1p(exp(-|a - b|)) scaled, a + tie where a == b (also equal
    infinities), and NaN where a - b is NaN."""
    def term(d):
        return f"{scale}log1p({exp}({d}))"
    return (f"where(a == b, a + {tie}, where(a > b, a + {term('b - a')}, "
            f"where(a < b, b + {term('a - b')}, a - b)))")



def _log_add_derivative(difference):
    """d/da of logaddexp(2): sigmoid of the (scaled) difference, the stable form of
    exp(a - y). Where the difference is NaN, 1/2 for equal infinities and NaN for a NaN
    operand. The test is on the difference, not on a == b, so that at a tie the derivative
    is sigmoid's (1/2) and its own derivative is sigmoid's too (1/4), not a constant's 0."""
    return (f"where(a - b == a - b, sigmoid({difference}), "
            f"where(a == b, 0.5, a + b))")

# The boundary conventions of the NumPy functions below (derivatives where the textbook
# formula gives 0 / 0 or overflows; see also POW_CONVENTION):
# - cbrt'(0) = +inf (1 / (3 y**2)), reciprocal'(0) = -inf, acosh'(1) = atanh'(+-1) = inf: the
#   true one-sided limits. acosh' and atanh' factor 1 - a*a so that it neither overflows
#   nor cancels; asinh' is 1 / hypot(a, 1), which does not overflow.
# - sinc: 1 at 0, its derivatives of every order exact there (see _sinc_derivative).
# - hypot at (0, 0): gradient (0, 0) (a subgradient: hypot is a cone there; as abs' = sign,
#   0 at 0), with the 0 / 0 guarded as in pow so higher orders are 0, not NaN.
# - atan2 at (0, 0): NaN, as TensorFlow, JAX and PyTorch (no limit exists there); elsewhere
#   b / h / h and -a / h / h with h = hypot(a, b), which neither overflows nor underflows.
# - logaddexp(2): d/da = sigmoid((a - b) [* ln 2]), the stable form of exp(a - y); 1/2 each
#   at a == b == +-inf too (where a - b is NaN); see _log_add_derivative.
# - fmax / fmin: the non-NaN operand is the result (NumPy) and takes the gradient; ties
#   and two NaNs send it to the first argument, as maximum does.
# - copysign: d/da is +1 where the result's sign bit is a's, else -1 (so at a = +-0 the
#   one-sided derivative on the side a's sign names); d/db is 0 (a zero gradient, not
#   None: copysign is piecewise constant in b).
# - trunc, ceil, heaviside, signbit, is_nan, is_inf, is_finite: not differentiable (None,
#   like floor and round).

UNARY = {
    "negative": Unary("-a", "-1", "same"),
    "square": Unary("a * a", "2.0 * a", "same"),
    "sqrt": Unary("sqrt(a)", "0.5 / y"),
    "exp": Unary("exp(a)", "y"),
    "log": Unary("log(a)", "1.0 / a"),
    "log1p": Unary("log1p(a)", "1.0 / (1.0 + a)"),
    "expm1": Unary("expm1(a)", "y + 1.0"),
    "sin": Unary("sin(a)", "cos(a)"),
    "cos": Unary("cos(a)", "-sin(a)"),
    "tan": Unary("tan(a)", "1.0 + y * y"),
    "asin": Unary("asin(a)", "1.0 / sqrt(1.0 - a * a)"),
    "acos": Unary("acos(a)", "-1.0 / sqrt(1.0 - a * a)"),
    "atan": Unary("atan(a)", "1.0 / (1.0 + a * a)"),
    "sinh": Unary("sinh(a)", "cosh(a)"),
    "cosh": Unary("cosh(a)", "sinh(a)"),
    "tanh": Unary("tanh(a)", "1.0 - y * y"),
    # "+ 0" turns -0.0 into 0.0, as NumPy's abs does (IEEE: -0.0 + 0.0 == 0.0).
    "abs": Unary("where(a < 0, -a, a + 0)", "sign(a)", "same"),
    "sigmoid": Unary("sigmoid(a)", "y * (1.0 - y)"),
    "softplus": Unary("softplus(a)", "sigmoid(a)"),
    # ReLU's derivative reads its output only, so the tape keeps the output, not the input.
    # NaN fails every comparison: the tests are written so that it falls through to ``a``
    # (relu(nan) is nan, as in NumPy's maximum, PyTorch and JAX).
    "relu": Unary("where(a <= 0, 0, a)", "where(y <= 0, 0.0, 1.0)", "same"),
    "elu": Unary("where(a > 0, a, expm1(a))", "where(a > 0, 1.0, y + 1.0)"),
    "sign": Unary("sign(a)", None, "same"),
    "floor": Unary("floor(a)", None, "same"),
    "round": Unary("round(a)", None, "same"),
    # NumPy's float functions (the conventions at their boundaries: see above)
    "positive": Unary("a", "1", "same"),
    "fabs": Unary("where(a < 0, -a, a + 0)", "sign(a)"),
    "reciprocal": Unary("1.0 / a", "-y * y", "same"),
    "log2": Unary("log2(a)", f"{LOG2E} / a"),
    "log10": Unary("log10(a)", f"{LOG10E} / a"),
    "exp2": Unary("exp2(a)", f"y * {LN2}"),
    "cbrt": Unary("cbrt(a)", "1.0 / (3.0 * y * y)"),
    "asinh": Unary("asinh(a)", "1.0 / hypot(a, 1.0)"),
    "acosh": Unary("acosh(a)", "1.0 / (sqrt(a - 1.0) * sqrt(a + 1.0))"),
    "atanh": Unary("atanh(a)", "1.0 / ((1.0 - a) * (1.0 + a))"),
    "sinc": Unary(f"where(a == 0, 1.0, sin({PI} * a) / ({PI} * a))", _sinc_derivative()),
    "deg2rad": Unary(f"a * {math.pi / 180!r}", repr(math.pi / 180)),
    "rad2deg": Unary(f"a * {180 / math.pi!r}", repr(180 / math.pi)),
    "trunc": Unary("trunc(a)", None, "same"),
    "ceil": Unary("ceil(a)", None, "same"),
    "signbit": Unary("signbit(a)", None, "bool"),
    "is_nan": Unary("is_nan(a)", None, "bool"),
    "is_inf": Unary("is_inf(a)", None, "bool"),
    "is_finite": Unary("is_finite(a)", None, "bool"),
}

BINARY = {
    "add": Binary("a + b", "1", "1"),
    "subtract": Binary("a - b", "1", "-1"),
    "multiply": Binary("a * b", "b", "a"),
    "divide": Binary("a / b", "1.0 / b", "-y / b", "float"),
    # pow at its boundary (see POW_CONVENTION): the a-derivative b * a**(b-1) is 0 at
    # a == 0 and b == 0 (x**0 is constant), not 0 * inf; the b-derivative y*log(a) is 0 where
    # a <= 0, as in TensorFlow; the inner wheres keep 0 * inf and log(0) out of every term.
    "pow": Binary("a ** b", "where(a == 0, where(b == 0, 0.0, b * a ** (b - 1)), b * a ** (b - 1))",
                  "where(a > 0, y * log(where(a > 0, a, 1.0)), 0.0)"),
    # Ties send the whole gradient to the first argument, as TensorFlow does. A NaN operand
    # is the result (as in NumPy) and takes the gradient: ``a != a`` holds only for NaN.
    "maximum": Binary("where(a >= b, a, where(a != a, a, b))",
                      "where(a >= b, 1.0, where(a != a, 1.0, 0.0))",
                      "where(a >= b, 0.0, where(a != a, 0.0, 1.0))"),
    "minimum": Binary("where(a <= b, a, where(a != a, a, b))",
                      "where(a <= b, 1.0, where(a != a, 1.0, 0.0))",
                      "where(a <= b, 0.0, where(a != a, 0.0, 1.0))"),
    "floor_divide": Binary("a // b", None, None),
    "mod": Binary("a % b", "1", "-floor(a / b)"),
    "equal": Binary("a == b", None, None, "bool"),
    "not_equal": Binary("a != b", None, None, "bool"),
    "greater": Binary("a > b", None, None, "bool"),
    "greater_equal": Binary("a >= b", None, None, "bool"),
    "less": Binary("a < b", None, None, "bool"),
    "less_equal": Binary("a <= b", None, None, "bool"),
    # NumPy's float functions (the conventions at their boundaries: see above)
    "atan2": Binary("atan2(a, b)", "b / hypot(a, b) / hypot(a, b)",
                    "-a / hypot(a, b) / hypot(a, b)", "float"),
    "hypot": Binary("hypot(a, b)", "where(y == 0, 0.0, a / where(y == 0, 1.0, y))",
                    "where(y == 0, 0.0, b / where(y == 0, 1.0, y))", "float"),
    "logaddexp": Binary(_log_add("exp", "", LN2), _log_add_derivative("a - b"),
                        _log_add_derivative("b - a"), "float"),
    "logaddexp2": Binary(_log_add("exp2", LOG2E + " * ", "1.0"),
                         _log_add_derivative(f"(a - b) * {LN2}"),
                         _log_add_derivative(f"(b - a) * {LN2}"), "float"),
    "fmax": Binary("where(a >= b, a, where(b != b, a, b))",
                   "where(a >= b, 1.0, where(b != b, 1.0, 0.0))",
                   "where(a >= b, 0.0, where(b != b, 0.0, 1.0))"),
    "fmin": Binary("where(a <= b, a, where(b != b, a, b))",
                   "where(a <= b, 1.0, where(b != b, 1.0, 0.0))",
                   "where(a <= b, 0.0, where(b != b, 0.0, 1.0))"),
    "copysign": Binary("copysign(a, b)", "where(signbit(a) != signbit(b), -1.0, 1.0)",
                       "0.0", "float"),
    "heaviside": Binary("where(a < 0, 0.0, where(a > 0, 1.0, where(a == 0, b, a)))", None, None,
                        "float"),
}


@functools.cache
def uses(expression, name):
    """Whether the formula ``expression`` reads the variable ``name``."""
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(ast.parse(expression)))


# --- symbolic partial derivatives of formulas -------------------------------------------
# d/du of each function, as a formula in u (the argument expression is substituted).
_DERIVATIVES = {
    "sin": "cos(u)", "cos": "-sin(u)", "tan": "1.0 + tan(u) * tan(u)",
    "asin": "1.0 / sqrt(1.0 - u * u)", "acos": "-1.0 / sqrt(1.0 - u * u)",
    "atan": "1.0 / (1.0 + u * u)", "sinh": "cosh(u)", "cosh": "sinh(u)",
    "tanh": "1.0 - tanh(u) * tanh(u)", "exp": "exp(u)", "log": "1.0 / u",
    "log1p": "1.0 / (1.0 + u)", "expm1": "exp(u)", "sqrt": "0.5 / sqrt(u)",
    "sigmoid": "sigmoid(u) * (1.0 - sigmoid(u))", "softplus": "sigmoid(u)",
    "sign": "0", "floor": "0", "round": "0",
    "log2": f"{LOG2E} / u", "log10": f"{LOG10E} / u", "exp2": f"exp2(u) * {LN2}",
    "asinh": "1.0 / hypot(u, 1.0)", "acosh": "1.0 / (sqrt(u - 1.0) * sqrt(u + 1.0))",
    "atanh": "1.0 / ((1.0 - u) * (1.0 + u))", "cbrt": "1.0 / (3.0 * cbrt(u) * cbrt(u))",
    "trunc": "0", "ceil": "0", "signbit": "0", "is_nan": "0", "is_inf": "0", "is_finite": "0",
    # functions of two arguments: (d/du, d/dv), formulas in u and v
    "atan2": ("v / hypot(u, v) / hypot(u, v)", "-u / hypot(u, v) / hypot(u, v)"),
    "hypot": ("u / hypot(u, v)", "v / hypot(u, v)"),
    "copysign": ("where(signbit(u) != signbit(v), -1.0, 1.0)", "0"),
}


POW_CONVENTION = """\
a ** b at its boundary points. d/da is b * a**(b-1), taken as 0 where a == 0 and b == 0
(x**0 is constant); so the second derivative d2/da2 of x**1 at 0 is 0, of x**2 is 2, of x**0.5
is -inf and of x**-1 is +inf. d/db is a**b * log(a) where a > 0 and 0 where a <= 0 (as in
TensorFlow): at a == 0 every term carrying log(a) is 0. The mixed derivative at a == 0
depends on the order it is taken in: d/db (d/da) is a**(b-1) (0 if b == 0), d/da (d/db) is
0 where a**(b-1) is finite and NaN where it is infinite (0 < b < 1, b < 0), points where
the limit does not exist."""


def _pow_base_derivative(u, v):
    """d(u**v)/du = v * u**(v-1), and 0 where u == 0 and v == 0 (never 0 * inf)."""
    power = ast.BinOp(v, ast.Mult(), ast.BinOp(u, ast.Pow(), ast.BinOp(v, ast.Sub(),
                                                                       ast.Constant(1))))
    zero = ast.Constant(0.0)
    inner = ast.Call(ast.Name("where"), [ast.Compare(v, [ast.Eq()], [zero]), zero, power], [])
    return ast.Call(ast.Name("where"), [ast.Compare(u, [ast.Eq()], [zero]), inner, power], [])


def _pow_exponent_derivative(node, u):
    """d(u**v)/dv = u**v * log(u) where u > 0, else 0 (log never sees u <= 0)."""
    zero, one = ast.Constant(0.0), ast.Constant(1.0)
    positive = ast.Compare(u, [ast.Gt()], [zero])
    safe = ast.Call(ast.Name("where"), [positive, u, one], [])
    term = ast.BinOp(node, ast.Mult(), ast.Call(ast.Name("log"), [safe], []))
    return ast.Call(ast.Name("where"), [positive, term, zero], [])


def _number(node):
    return node.value if isinstance(node, ast.Constant) else None


def _sum(u, v):
    if _number(u) == 0:
        return v
    if _number(v) == 0:
        return u
    return ast.BinOp(u, ast.Add(), v)


def _product(u, v):
    if _number(u) == 0 or _number(v) == 0:
        return ast.Constant(0)
    if _number(u) == 1:
        return v
    if _number(v) == 1:
        return u
    return ast.BinOp(u, ast.Mult(), v)


def _negative(u):
    return ast.Constant(0) if _number(u) == 0 else ast.UnaryOp(ast.USub(), u)


def _substitute(expression, arguments):
    """The formula with u (and v) replaced by the argument expressions."""
    tree = ast.parse(expression, mode="eval").body
    return _Replace(dict(zip("uv", arguments))).visit(tree)


class _Replace(ast.NodeTransformer):
    def __init__(self, arguments):
        self.arguments = arguments

    def visit_Name(self, node):
        return self.arguments.get(node.id, node)


def _partial(node, name):
    """d node / d name, as an AST (other variables held fixed)."""
    if isinstance(node, ast.Constant) or isinstance(node, ast.Compare):
        return ast.Constant(0)
    if isinstance(node, ast.Name):
        return ast.Constant(1 if node.id == name else 0)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _negative(_partial(node.operand, name))
    if isinstance(node, ast.BinOp):
        u, v = node.left, node.right
        du, dv = _partial(u, name), _partial(v, name)
        if isinstance(node.op, ast.Add):
            return _sum(du, dv)
        if isinstance(node.op, ast.Sub):
            return _sum(du, _negative(dv))
        if isinstance(node.op, ast.Mult):
            return _sum(_product(du, v), _product(u, dv))
        if isinstance(node.op, ast.Div):  # du / v - u * dv / v**2
            quotient = ast.BinOp(du, ast.Div(), v) if _number(du) != 0 else ast.Constant(0)
            rest = (ast.BinOp(_product(u, dv), ast.Div(), ast.BinOp(v, ast.Mult(), v))
                    if _number(dv) != 0 else ast.Constant(0))
            return _sum(quotient, _negative(rest))
        if isinstance(node.op, ast.Pow):  # v u**(v-1) du + u**v log(u) dv, guarded as pow's
            return _sum(_product(_pow_base_derivative(u, v), du),
                        _product(_pow_exponent_derivative(node, u), dv))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        function, arguments = node.func.id, node.args
        if function == "where":  # the condition carries no gradient
            condition, x, y = arguments
            dx, dy = _partial(x, name), _partial(y, name)
            if _number(dx) == 0 and _number(dy) == 0:
                return ast.Constant(0)
            return ast.Call(ast.Name("where"), [condition, dx, dy], [])
        derivatives = _DERIVATIVES[function]
        if isinstance(derivatives, str):
            derivatives = (derivatives,)
        if len(derivatives) != len(arguments):
            raise ValueError(f"{function} takes {len(derivatives)} arguments: "
                             f"{ast.unparse(node)!r}")
        total = ast.Constant(0)  # the chain rule, summed over the arguments
        for derivative, u in zip(derivatives, arguments):
            du = _partial(u, name)
            if _number(du) != 0 and derivative != "0":
                total = _sum(total, _product(_substitute(derivative, arguments), du))
        return total
    raise ValueError(f"cannot differentiate formula node {ast.unparse(node)!r}")


@functools.cache
def partial(expression, name):
    """The formula of d expression / d name, the other variables held fixed."""
    return ast.unparse(_partial(ast.parse(expression, mode="eval").body, name))
