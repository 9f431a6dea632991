"""A Tensor's value never changes under the user's feet, a Variable stores only what it was
given, and conversions that cut a gradient say so."""

import warnings

import numpy as np
import pytest

import autotape as at


# --- NumPy never gets the internal buffer --------------------------------------------
def test_np_asarray_gives_a_view_that_cannot_be_written():
    x = at.constant([1.0, 2.0])
    a = np.asarray(x)
    with pytest.raises(ValueError, match="read-only"):
        a *= 10
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])


def test_numpy_out_argument_cannot_overwrite_a_tensor():
    z = at.constant([0.5, 1.0])
    with pytest.raises(ValueError, match="read-only"):
        np.sin(z, out=np.asarray(z))
    np.testing.assert_array_equal(z.numpy(), [0.5, 1.0])


def test_recorded_values_survive_a_write_attempt_and_the_gradient_is_right():
    x = at.constant([1.0, 2.0, 3.0])
    with at.GradientTape() as tape:
        tape.watch(x)
        y = at.reduce_sum(x * x)
    with pytest.raises(ValueError):
        np.asarray(x)[:] = 0
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [2.0, 4.0, 6.0])


def test_array_conversions_with_copy_or_dtype_give_fresh_arrays():
    x = at.constant([1.0, 2.0])
    copied = np.array(x, copy=True)
    copied[0] = 7.0
    as_float32 = np.asarray(x, dtype=np.float32)
    as_float32[1] = 7.0
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])
    with pytest.raises(ValueError, match="without a copy"):
        x.__array__(np.float32, copy=False)


def test_a_primitive_cannot_write_into_its_inputs():
    @at.primitive(name="ScaleInPlace")
    def scale_in_place(a):
        a *= 2
        return a

    x = at.constant([1.0, 2.0])
    with pytest.raises(ValueError, match="read-only"):
        scale_in_place(x)
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])


def test_a_variable_made_from_another_does_not_share_its_memory():
    v = at.Variable([1.0, 2.0])
    w = at.Variable(v)
    at.optimizers.SGD(1.0).apply_gradients([(at.constant([1.0, 1.0]), w)])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(w.numpy(), [0.0, 1.0])


# --- Variable.assign stores what it was given, or refuses -------------------------------
@pytest.mark.parametrize("value, error, match", [
    (None, TypeError, "NoneType"),
    (1j, TypeError, "complex"),
    ("abc", TypeError, "str"),
])
def test_assign_rejects_values_that_are_not_numbers(value, error, match):
    v = at.Variable([1.0, 2.0])
    with pytest.raises(error, match=match):
        v.assign(value)
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_an_integer_variable_refuses_floats_and_overflow():
    v = at.Variable([1, 2])
    with pytest.raises(TypeError, match="same_kind"):
        v.assign([1.7, 1e20])
    small = at.Variable([1, 2], dtype="int8")
    with pytest.raises(ValueError, match="1000 does not fit"):
        small.assign([1000, 1])
    with pytest.raises(TypeError, match="same_kind"):
        at.Variable([1.7], dtype="int64")
    np.testing.assert_array_equal(v.numpy(), [1, 2])
    v.assign([3, 4])  # integers of any width that fit are fine
    small.assign(np.array([-128, 127], np.int64))
    np.testing.assert_array_equal(small.numpy(), [-128, 127])


def test_a_float32_variable_rounds_but_does_not_overflow():
    v = at.Variable([1.0, 2.0], dtype="float32")
    v.assign([0.1, np.inf])  # rounding, and an infinity given as such, are fine
    np.testing.assert_array_equal(v.numpy(), np.array([0.1, np.inf], np.float32))
    with pytest.raises(ValueError, match="does not fit"):
        v.assign([1e300, 1.0])


def test_assign_add_names_a_wrong_shape():
    v = at.Variable([1.0, 2.0])
    with pytest.raises(ValueError, match=r"assign_add: a delta of shape \(3,\) for a Variable "
                                         r"of shape \(2,\)"):
        v.assign_add([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="assign_sub"):
        v.assign_sub(np.ones((2, 2)))
    v.assign_add(1)  # a broadcasting delta is fine
    np.testing.assert_array_equal(v.numpy(), [2.0, 3.0])


# --- conversions that cut the gradient warn -------------------------------------------
def _caught(f):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = f()
    return result, [str(w.message) for w in caught]


def test_converting_a_recorded_tensor_to_numpy_warns_and_names_the_fix():
    x = at.constant(2.0)

    def f():
        with at.GradientTape() as tape:
            tape.watch(x)
            y = at.reduce_sum(at.constant(np.asarray(x)) * x)
        return tape.gradient(y, x)

    g, messages = _caught(f)
    assert float(g) == 2.0  # only the recorded factor contributes
    assert any("np.asarray" in m and "at.stack" in m for m in messages)


def test_a_jacobian_through_np_array_warns_instead_of_silently_giving_zeros():
    jacobian, messages = _caught(lambda: at.jacobian(lambda x: np.array([x, x ** 2]))(3.0))
    assert any("cuts the gradient" in m for m in messages)


def test_printing_and_float_stay_quiet():
    x = at.constant([1.0, 2.0])

    def f():
        with at.GradientTape() as tape:
            tape.watch(x)
            y = x * 2
            return float(y[0]), repr(y), y.numpy()

    _, messages = _caught(f)
    assert messages == []


def test_converting_outside_any_tape_is_quiet():
    _, messages = _caught(lambda: np.asarray(at.constant([1.0])))
    assert messages == []


# --- clear errors ----------------------------------------------------------------------
def test_errors_name_the_operation():
    with pytest.raises(OverflowError, match="constant: 1180591620717411303424 does not fit"):
        at.constant(2 ** 70)
    with pytest.raises(TypeError, match="negative: not defined for bool"):
        -at.constant([True, False])
    with pytest.raises(ValueError, match="pow: integers to negative integer powers"):
        at.constant([2, 3]) ** at.constant([-1, 2])
    with pytest.raises(ValueError, match="pow: integers to negative"):
        at.constant(2) ** -1
    np.testing.assert_array_equal((at.constant([2, 3]) ** 2).numpy(), [4, 9])
    for units in (-1, 0, 2.5, "3", True):
        with pytest.raises(ValueError, match="Dense: units must be a positive integer"):
            at.layers.Dense(units)


def test_optimizer_errors_name_what_is_wrong():
    v = at.Variable([1.0, 2.0])
    g = at.constant([1.0, 1.0])
    with pytest.raises(TypeError, match="must be a Variable, got Tensor; only Variables"):
        at.optimizers.SGD().apply_gradients([(g, at.constant([1.0, 2.0]))])
    with pytest.raises(TypeError, match="pairs look swapped"):
        at.optimizers.Adam().apply_gradients([(v, g)])
    with pytest.raises(TypeError, match=r"expected \(gradient, Variable\) pairs"):
        at.optimizers.SGD().apply_gradients([v])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


@pytest.mark.parametrize("shape, axis", [((0,), None), ((2, 0), 1), ((0, 3), 0)])
def test_logsumexp_of_an_empty_axis_is_minus_infinity(shape, axis):
    x = at.zeros(shape)
    result = at.reduce_logsumexp(x, axis=axis)
    with np.errstate(divide="ignore"):
        expected = np.log(np.sum(np.exp(np.zeros(shape)), axis=axis))
    np.testing.assert_array_equal(result.numpy(), expected)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = at.reduce_sum(at.reduce_logsumexp(x, axis=axis))
    assert tape.gradient(y, x).shape == shape


def test_numpy_views_of_a_variable_keep_their_values_after_an_update():
    v = at.Variable(np.arange(4.0).reshape(2, 2))
    flat, diagonal = np.ravel(v), np.diagonal(v)
    at.optimizers.SGD(0.5).apply_gradients([(np.ones((2, 2)), v)])
    np.testing.assert_array_equal(flat, [0.0, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(diagonal, [0.0, 3.0])
    np.testing.assert_array_equal(v.numpy(), [[-0.5, 0.5], [1.5, 2.5]])


def test_a_variable_never_shares_the_array_it_was_made_from():
    values = np.array([1.0, 2.0])
    v = at.Variable(values, dtype="float64")
    at.optimizers.SGD(1.0).apply_gradients([(np.ones(2), v)])
    np.testing.assert_array_equal(values, [1.0, 2.0])


def test_assign_add_refuses_to_wrap_around():
    v = at.Variable(np.int8([127]))
    with pytest.raises(ValueError, match="128 does not fit"):
        v.assign_add(1)
    with pytest.raises(ValueError, match="-129 does not fit"):
        at.Variable(np.int8([-128])).assign_sub(1)
    np.testing.assert_array_equal(v.numpy(), [127])


def test_numpy_casting_rules_hold_for_concatenate_and_stack():
    t = at.constant([1.5, 2.0])
    for function in (np.concatenate, np.stack):
        with pytest.raises(TypeError, match="casting='same_kind'"):
            function([t], dtype=np.int64)
    np.testing.assert_array_equal(np.concatenate([t], dtype=np.float32).numpy(), [1.5, 2.0])
    np.testing.assert_array_equal(np.stack([t], dtype=np.int64, casting="unsafe").numpy(),
                                  [[1, 2]])
