"""User errors give clear Python exceptions that name the operation and the
shapes, and no Numba typing traceback ever reaches the user."""

import re
import traceback

import numpy as np
import pytest

import autotape as at


def _shape_pattern(shape):
    """Accept (2, 3) / (2,3) / [2, 3] / [2,3] / 2x3 spellings of a shape."""
    dims = [str(d) for d in shape]
    if len(dims) == 1:
        alts = [rf"\({dims[0]},\s*\)", rf"\[{dims[0]}\]", rf"\({dims[0]}\)"]
    else:
        sep = r",\s*"
        alts = [r"\(" + sep.join(dims) + r"\)", r"\[" + sep.join(dims) + r"\]", "x".join(dims)]
    return "(" + "|".join(alts) + ")"


def mentions_shape(msg, shape):
    return re.search(_shape_pattern(shape), msg) is not None


def assert_no_numba(exc):
    """Neither the message nor any chained exception shown to the user is Numba's."""
    seen = exc
    while seen is not None:
        assert "numba" not in str(seen).lower(), f"Numba text in error: {seen}"
        assert "numba" not in type(seen).__module__.lower(), f"Numba exception type: {type(seen)}"
        if seen.__cause__ is not None:
            seen = seen.__cause__
        elif seen.__context__ is not None and not seen.__suppress_context__:
            seen = seen.__context__
        else:
            seen = None
    shown = "".join(traceback.format_exception_only(type(exc), exc))
    assert "TypingError" not in shown and "numba" not in shown.lower()


def test_incompatible_broadcast_in_add():
    a, b = at.ones((2, 3)), at.ones((4,))
    with pytest.raises(ValueError) as info:
        at.add(a, b)
    msg = str(info.value)
    assert "add" in msg.lower()
    assert mentions_shape(msg, (2, 3)), msg
    assert mentions_shape(msg, (4,)), msg
    assert_no_numba(info.value)


def test_incompatible_broadcast_in_operator_under_a_tape():
    a, b = at.ones((2, 3)), at.ones((4,))
    with at.GradientTape() as tape:
        tape.watch([a, b])
        with pytest.raises(ValueError) as info:
            a + b
    msg = str(info.value)
    assert "add" in msg.lower()
    assert mentions_shape(msg, (2, 3)) and mentions_shape(msg, (4,)), msg
    assert_no_numba(info.value)


@pytest.mark.parametrize("name, word", [("multiply", "mul"), ("subtract", "sub"), ("maximum", "maximum"), ("divide", "div")])
def test_incompatible_broadcast_names_the_operation(name, word):
    a, b = at.ones((3, 2)), at.ones((3,))
    with pytest.raises(ValueError) as info:
        getattr(at, name)(a, b)
    msg = str(info.value)
    assert word in msg.lower(), msg
    assert mentions_shape(msg, (3, 2)) and mentions_shape(msg, (3,)), msg
    assert_no_numba(info.value)


def test_matmul_inner_dimension_mismatch():
    a, b = at.ones((2, 3)), at.ones((4, 5))
    with pytest.raises(ValueError) as info:
        at.matmul(a, b)
    msg = str(info.value)
    assert "matmul" in msg.lower()
    assert mentions_shape(msg, (2, 3)) and mentions_shape(msg, (4, 5)), msg
    assert_no_numba(info.value)


def test_matmul_operator_mismatch():
    with pytest.raises(ValueError) as info:
        at.ones((2, 3)) @ at.ones((2, 3))
    msg = str(info.value)
    assert "matmul" in msg.lower()
    assert mentions_shape(msg, (2, 3)), msg
    assert_no_numba(info.value)


def test_reshape_to_an_incompatible_size():
    with pytest.raises(ValueError) as info:
        at.reshape(at.ones((2, 3)), (4, 2))
    msg = str(info.value)
    assert "reshape" in msg.lower()
    assert mentions_shape(msg, (2, 3)) or mentions_shape(msg, (4, 2)), msg
    assert_no_numba(info.value)


def test_concat_with_mismatched_shapes():
    with pytest.raises(ValueError) as info:
        at.concat([at.ones((2, 3)), at.ones((2, 4))], axis=0)
    msg = str(info.value)
    assert "concat" in msg.lower()
    assert_no_numba(info.value)


def test_reduction_axis_out_of_range():
    with pytest.raises((ValueError, IndexError)) as info:
        at.reduce_sum(at.ones((2, 3)), axis=2)
    assert "reduce_sum" in str(info.value).lower() or "axis" in str(info.value).lower()
    assert_no_numba(info.value)


def test_unknown_dtype_name():
    with pytest.raises((TypeError, ValueError)) as info:  # NumPy and TF raise TypeError
        at.constant(1.0, dtype="floaty")
    assert "floaty" in str(info.value)
    assert_no_numba(info.value)


@pytest.mark.parametrize("bad", [3.0, np.ones(2), [1.0, 2.0]], ids=["float", "ndarray", "list"])
def test_watch_of_a_non_tensor(bad):
    with at.GradientTape() as tape:
        with pytest.raises(ValueError) as info:
            tape.watch(bad)
    assert str(info.value)
    assert_no_numba(info.value)


def test_gradient_of_none():
    x = at.constant(1.0)
    with at.GradientTape() as tape:
        tape.watch(x)
        _ = x * 2.0
    with pytest.raises((ValueError, TypeError)) as info:
        tape.gradient(None, x)
    msg = str(info.value)
    assert "None" in msg or "target" in msg.lower(), msg
    assert_no_numba(info.value)


def test_second_gradient_on_finished_non_persistent_tape():
    x = at.constant(1.0)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError) as info:
        tape.gradient(y, x)
    assert "persistent" in str(info.value).lower()
    assert_no_numba(info.value)


def test_lookup_error_names_the_op():
    @at.primitive(name="TestErrorsOpaque")
    def opaque(x):
        return np.asarray(x) + 1.0

    x = at.constant(1.0)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = opaque(x)
    with pytest.raises(LookupError) as info:
        tape.gradient(y, x)
    assert "gradient registry has no entry for: TestErrorsOpaque" in str(info.value)
    assert_no_numba(info.value)


def test_errors_in_the_middle_of_a_tape_do_not_break_it():
    x = at.constant([1.0, 2.0])
    with at.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        with pytest.raises(ValueError):
            at.add(y, at.ones((3,)))
        z = at.reduce_sum(y)
    np.testing.assert_array_equal(tape.gradient(z, x).numpy(), [2.0, 4.0])


def test_float32_and_float64_errors_also_clean():
    a = at.constant(np.ones((2, 3), dtype=np.float32))
    b = at.constant(np.ones((5,), dtype=np.float32))
    with pytest.raises(ValueError) as info:
        at.multiply(a, b)
    assert_no_numba(info.value)
    assert mentions_shape(str(info.value), (5,))
