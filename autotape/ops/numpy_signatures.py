"""Calling autotape's implementation of a NumPy function with the arguments NumPy's own
signature binds, so that positional and keyword calls both work."""

import inspect


def numpy_call(numpy_function, implementation):
    """``implementation`` called through NumPy's protocol with ``numpy_function``'s
    arguments, bound by name. An argument it does not take, given a value other than
    NumPy's default (an ``out=`` array, a ``where=`` mask), returns NotImplemented: NumPy
    then runs on the plain values."""
    signature = inspect.signature(numpy_function)
    taken = set(inspect.signature(implementation).parameters)

    def call(*args, **kwargs):
        given = signature.bind(*args, **kwargs).arguments
        for name, value in given.items():
            if name not in taken and value is not None \
                    and value is not signature.parameters[name].default:
                return NotImplemented
        return implementation(**{k: v for k, v in given.items() if k in taken})
    return call


def numpy_table(pairs):
    """{NumPy function: its ``numpy_call``} from (NumPy function, implementation) pairs."""
    return {f: numpy_call(f, implementation) for f, implementation in pairs}
