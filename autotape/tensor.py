"""Tensor and Variable: immutable NumPy values with identities the tapes can track."""

import itertools
import warnings

import numpy as np

from . import dtypes, naming, recording

# Atomic under the GIL: ids are unique across threads, and increase (the reverse pass tells
# the tensors it made by their ids).
next_id = itertools.count().__next__
_ops = None  # autotape.ops, bound when it is imported (operators dispatch to it)


class Tensor:
    """An immutable n-dimensional value. Operations on Tensors are recorded on tapes."""

    __slots__ = ("_value", "_id", "__weakref__")
    __array_priority__ = 100  # NumPy defers binary operators to ours

    def __init__(self, value):
        """Internal: ``value`` is an ndarray that nothing else will write to."""
        self._value = value
        self._id = next_id()

    # --- value and metadata -------------------------------------------------------------
    @property
    def shape(self):
        return self._value.shape

    @property
    def dtype(self):
        return self._value.dtype

    @property
    def ndim(self):
        return self._value.ndim

    @property
    def size(self):
        return self._value.size

    def numpy(self):
        """The value: a NumPy scalar for 0-d tensors, else a read-only ndarray view."""
        value = recording.concrete(self, "numpy()")
        if value.ndim == 0:
            return value[()]
        return readonly_value(self)

    def __array__(self, dtype=None, copy=None):
        """NumPy's conversion (``np.asarray``): a read-only view, or a copy; never the buffer
        itself, which every operation recorded from this tensor shares."""
        _warn_if_recording(self)
        value = recording.concrete(self, "np.asarray")
        if dtype is not None and np.dtype(dtype) != value.dtype:
            if copy is False:
                raise ValueError(f"__array__: a {value.dtype} tensor cannot become "
                                 f"{np.dtype(dtype)} without a copy")
            return value.astype(dtype)
        return value.copy() if copy else readonly_value(self)

    def __len__(self):
        if self._value.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._value.shape[0]

    def __iter__(self):
        if self._value.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._value.shape[0]))

    def _one_element(self, what):
        if self._value.size != 1:
            raise TypeError(f"{what}() needs a one-element tensor, got shape {self.shape}")
        return recording.concrete(self, f"{what}()").reshape(())[()]

    def __bool__(self):
        if self._value.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is "
                             "ambiguous; use reduce_any/reduce_all or compare elements")
        return recording.outcome(self, bool(self._value.reshape(())[()]))

    def __float__(self):
        return float(self._one_element("float"))

    def __int__(self):
        return int(self._one_element("int"))

    def __index__(self):
        if self._value.dtype.kind not in "iub":
            raise TypeError(f"only integer tensors can be used as an index, got {self.dtype}")
        return int(self._one_element("index"))

    def __repr__(self):
        body = np.array2string(self._value, separator=", ", threshold=100)
        return f"<{type(self).__name__} value={body} shape={self.shape} dtype={self.dtype}>"

    __hash__ = object.__hash__  # identity, like torch; == is elementwise

    # --- operators ----------------------------------------------------------------------
    def __add__(self, other): return _ops.add(self, other)
    def __radd__(self, other): return _ops.add(other, self)
    def __sub__(self, other): return _ops.subtract(self, other)
    def __rsub__(self, other): return _ops.subtract(other, self)
    def __mul__(self, other): return _ops.multiply(self, other)
    def __rmul__(self, other): return _ops.multiply(other, self)
    def __truediv__(self, other): return _ops.divide(self, other)
    def __rtruediv__(self, other): return _ops.divide(other, self)
    def __floordiv__(self, other): return _ops.floor_divide(self, other)
    def __rfloordiv__(self, other): return _ops.floor_divide(other, self)
    def __mod__(self, other): return _ops.mod(self, other)
    def __rmod__(self, other): return _ops.mod(other, self)
    def __pow__(self, other):
        if type(other) is int and other == 2:  # x**2 is common; a product beats pow()
            return _ops.square(self)
        return _ops.pow(self, other)
    def __rpow__(self, other): return _ops.pow(other, self)
    def __matmul__(self, other): return _ops.matmul(self, other)
    def __rmatmul__(self, other): return _ops.matmul(other, self)
    def __neg__(self): return _ops.negative(self)
    def __pos__(self): return self
    def __abs__(self): return _ops.abs(self)
    def __lt__(self, other): return _ops.less(self, other)
    def __le__(self, other): return _ops.less_equal(self, other)
    def __gt__(self, other): return _ops.greater(self, other)
    def __ge__(self, other): return _ops.greater_equal(self, other)
    def __eq__(self, other): return _ops.equal(self, other)
    def __ne__(self, other): return _ops.not_equal(self, other)
    def __getitem__(self, key): return _ops.getitem(self, key)

    # --- ndarray's methods: NumPy's functions of the same name, so the same semantics --
    def reshape(self, *shape, order="C"):
        return np.reshape(self, shape[0] if len(shape) == 1 else shape, order=order)

    def transpose(self, *axes):
        return np.transpose(self, axes[0] if len(axes) == 1 else axes or None)

    @property
    def T(self): return np.transpose(self)
    def ravel(self, order="C"): return np.ravel(self, order)
    def flatten(self, order="C"): return np.ravel(self, order)
    def squeeze(self, axis=None): return np.squeeze(self, axis)
    def sum(self, *args, **kwargs): return np.sum(self, *args, **kwargs)
    def mean(self, *args, **kwargs): return np.mean(self, *args, **kwargs)
    def max(self, *args, **kwargs): return np.max(self, *args, **kwargs)
    def min(self, *args, **kwargs): return np.min(self, *args, **kwargs)
    def prod(self, *args, **kwargs): return np.prod(self, *args, **kwargs)
    def std(self, *args, **kwargs): return np.std(self, *args, **kwargs)
    def var(self, *args, **kwargs): return np.var(self, *args, **kwargs)
    def cumsum(self, *args, **kwargs): return np.cumsum(self, *args, **kwargs)
    def cumprod(self, *args, **kwargs): return np.cumprod(self, *args, **kwargs)
    def argmax(self, *args, **kwargs): return np.argmax(self, *args, **kwargs)
    def argmin(self, *args, **kwargs): return np.argmin(self, *args, **kwargs)
    def all(self, *args, **kwargs): return np.all(self, *args, **kwargs)
    def any(self, *args, **kwargs): return np.any(self, *args, **kwargs)
    def clip(self, *args, **kwargs): return np.clip(self, *args, **kwargs)
    def dot(self, b): return np.dot(self, b)

    def astype(self, dtype, copy=True):
        """A tensor of ``dtype`` (itself when it has it already and ``copy`` is False)."""
        if not copy and np.dtype(dtype) == self.dtype:
            return self
        return _ops.cast(self, dtype) if np.dtype(dtype) != self.dtype else _ops.identity(self)

    def copy(self):
        """A new tensor of the same value (recorded: gradients flow through it)."""
        return _ops.identity(self)

    def item(self, *index):
        """One element as a Python number: the only one, or the one at ``index``."""
        if index:  # as ndarray.item: one int is a flat index
            return recording.concrete(self, "item()").item(*index)
        return self._one_element("item").item()

    def tolist(self):
        return recording.concrete(self, "tolist()").tolist()

    # --- NumPy protocols: NumPy functions on Tensors are recorded operations ------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _ops.numpy_dispatch.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return _ops.numpy_dispatch.array_function(func, args, kwargs)


class Variable(Tensor):
    """A mutable value: ``assign*`` replace it (they are not recorded: state cuts gradients).

    Reading a trainable Variable inside a tape makes the tape watch it. Operations see a
    snapshot of the value at the time they ran."""

    __slots__ = ("trainable", "name", "_handed_out")

    def __init__(self, initial_value, trainable=True, name=None, dtype=None):
        dtype = dtypes.as_dtype(dtype)
        value = to_array(initial_value, None, "Variable") if dtype is None else assignable(
            initial_value, dtype, "Variable")
        # Its own C-ordered array, never the caller's: optimizers update it through a flat
        # view.
        super().__init__(np.array(value, order="C"))
        self.trainable = bool(trainable)
        self.name = naming.qualify("Variable" if name is None else str(name))
        # Whether the current array was handed out (to an operation, a tape, a numpy() view):
        # then it is never written in place again.
        self._handed_out = False

    def _read(self):
        """A Tensor holding the current value with this Variable's identity."""
        recording.variable_accessed(self)
        self._handed_out = True
        snapshot = Tensor.__new__(Tensor)
        snapshot._value, snapshot._id = self._value, self._id
        return snapshot

    def _set(self, value, operation):
        recording.variable_assigned(self, operation)
        value = assignable(value, self._value.dtype, operation)
        if value.shape != self._value.shape:
            if not broadcasts_to(value.shape, self.shape):
                raise ValueError(f"{operation}: cannot assign a value of shape {value.shape} "
                                 f"to a Variable of shape {self.shape}")
            value = np.broadcast_to(value, self.shape)
        # A new array, not an in-place write: recorded operations keep the old value.
        self._value = np.array(value, order="C")  # a copy even where value is the caller's
        self._handed_out = False
        return self

    def _update_arrays(self):
        """(current array, array to write the updated value into): the current array
        itself unless it was handed out, else a fresh one (the old one stays as it was for
        whoever holds it). Pass the written array to ``_updated``."""
        recording.variable_assigned(self, "an optimizer update")
        current = self._value
        return current, np.empty_like(current) if self._handed_out else current

    def _updated(self, new):
        self._value, self._handed_out = new, False

    def assign(self, value):
        return self._set(value, "assign")

    def assign_add(self, delta):
        return self._set(self._value + self._delta(delta, "assign_add"), "assign_add")

    def assign_sub(self, delta):
        return self._set(self._value - self._delta(delta, "assign_sub"), "assign_sub")

    def _delta(self, delta, operation):
        """The delta as an array of its own dtype (the sum is then computed wide enough
        for ``_set`` to see an overflow rather than a wrapped value)."""
        array = _same_kind_array(delta, self._value.dtype, operation)
        if not broadcasts_to(array.shape, self.shape):
            raise ValueError(f"{operation}: a delta of shape {array.shape} for a Variable of "
                             f"shape {self.shape}")
        return array

    def value(self):
        return self._read()

    def read_value(self):
        return self._read()

    def __repr__(self):
        body = np.array2string(self._value, separator=", ", threshold=100)
        return (f"<Variable '{self.name}' value={body} shape={self.shape} "
                f"dtype={self.dtype}>")


def readonly(array):
    """A view of ``array`` that cannot be written through."""
    view = array.view()
    view.flags.writeable = False
    return view


def readonly_value(tensor):
    """A read-only view of a tensor's value, for code outside autotape: a Variable's array
    then counts as handed out, so optimizers never write into it again."""
    if isinstance(tensor, Variable):
        tensor._handed_out = True
    return readonly(tensor._value)


def _warn_if_recording(tensor):
    """np.asarray(t) or np.array([t, ...]) on a tensor a tape records: the array it makes
    has no history, so gradients through it are lost. Warned once per call site."""
    if tensor._value.dtype.kind != "f":
        return  # booleans and integers carry no gradient to cut
    for tape in recording.state.tapes:
        if tensor._id in tape._tracked:
            warnings.warn("converting a Tensor that a GradientTape is recording to a NumPy "
                          "array (np.asarray, np.array) cuts the gradient: keep it a Tensor "
                          "(build arrays of tensors with at.stack or at.concat)", stacklevel=3)
            return


def broadcasts_to(shape, target):
    """Whether an array of ``shape`` broadcasts to ``target`` without changing it."""
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


def to_array(value, dtype=None, operation="constant"):
    """An ndarray from a Python value, array or Tensor, with autotape's dtype rules (a
    Tensor's own array when no conversion is needed: callers must not write to it)."""
    if isinstance(value, Tensor):
        array = recording.concrete(value, operation)
        return array.astype(dtype) if dtype is not None and dtype != array.dtype else array
    if dtypes.is_python_number(value) and dtype is None:
        dtype = dtypes.python_number_dtype(value)
    try:
        array = np.array(value, dtype=dtype)
    except OverflowError:
        raise OverflowError(f"{operation}: {value!r} does not fit in {np.dtype(dtype or int)}; "
                            "give dtype=float64 (or a smaller value)") from None
    except (TypeError, ValueError) as e:
        raise TypeError(f"{operation}: cannot convert {type(value).__name__} to a tensor"
                        + (f" of dtype {dtype}" if dtype is not None else "") + f": {e}") from None
    _check_supported(array.dtype, value, operation)
    return array


def _check_supported(dtype, value, operation):
    if dtype.kind not in "biuf" or dtype == np.float16:
        raise TypeError(f"{operation}: cannot convert {type(value).__name__} to a tensor of "
                        f"NumPy dtype {dtype}: autotape supports bool, integer, float32 and "
                        "float64 tensors")


def _same_kind_array(value, dtype, operation):
    """``value`` as an array (of its own dtype) that NumPy's "same_kind" rule lets into a
    Variable of ``dtype``: no floats into integers."""
    if isinstance(value, Tensor):
        array = value._value
    else:
        try:
            array = np.asarray(value)
        except (TypeError, ValueError, OverflowError) as e:
            raise TypeError(f"{operation}: cannot convert {type(value).__name__} to an "
                            f"array: {e}") from None
    _check_supported(array.dtype, value, operation)
    if not np.can_cast(array.dtype, dtype, "same_kind"):
        raise TypeError(f"{operation}: cannot store {array.dtype} values in a Variable of "
                        f"dtype {dtype} (NumPy's same_kind rule); cast them first")
    return array


def assignable(value, dtype, operation):
    """``value`` as an array that ``dtype`` holds as given: NumPy's "same_kind" casting (no
    floats into integers), and no integer that wraps around or finite float that overflows
    (rounding float64 to float32 is fine)."""
    array = _same_kind_array(value, dtype, operation)
    if np.can_cast(array.dtype, dtype, "safe"):
        return array.astype(dtype, copy=False)  # every value fits
    with np.errstate(all="ignore"):  # overflow is checked for below
        converted = array.astype(dtype, copy=False)
        if dtype.kind == "f":
            lost = np.isfinite(array) & ~np.isfinite(converted)
        else:
            lost = converted.astype(array.dtype) != array
    if np.any(lost):
        raise ValueError(f"{operation}: {array[lost].reshape(-1)[0].item()!r} does not fit in "
                         f"a Variable of dtype {dtype}")
    return converted


def as_tensor(x, dtype=None):
    """x as a Tensor an operation can take: Tensors pass through, Variables are read."""
    if type(x) is Tensor and dtype is None:
        return x
    if isinstance(x, Variable):
        x = x._read()
    if isinstance(x, Tensor):
        if dtype is None or x._value.dtype == dtype:
            return x
        return _ops.cast(x, dtype)
    if isinstance(x, (list, tuple)) and any(isinstance(e, (Tensor, list, tuple)) for e in x) \
            and _contains_tensor(x):
        return _ops.stack([as_tensor(e, dtype) for e in x])  # differentiable packing
    return Tensor(to_array(x, dtype))


def _contains_tensor(x):
    if isinstance(x, Tensor):
        return True
    return isinstance(x, (list, tuple)) and any(_contains_tensor(e) for e in x)


def constant(value, dtype=None, shape=None, name=None):
    array = to_array(value, dtypes.as_dtype(dtype))
    if shape is not None:
        array = np.broadcast_to(array, tuple(shape)).copy()
    if isinstance(value, Tensor):
        array = array.copy()
    return Tensor(array)


def convert_to_tensor(value, dtype=None, name=None):
    dtype = dtypes.as_dtype(dtype)
    if isinstance(value, Tensor) and dtype is not None and value.dtype != dtype:
        raise TypeError(f"convert_to_tensor: a {value.dtype} tensor is not of dtype {dtype}; "
                        "use cast() to change it")
    return as_tensor(value, dtype)
