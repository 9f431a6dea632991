"""Module: a container that finds its Variables and sub-Modules through its attributes."""

import functools
import re
import threading

from .naming import name_scope
from .tensor import Variable

_name_counts = {}
_name_lock = threading.Lock()


def _unique_name(base):
    with _name_lock:
        count = _name_counts.get(base, 0)
        _name_counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def _snake_case(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Module:
    """Variables set as attributes (directly or in lists, tuples and dicts) belong to the
    module, in the order the attributes were set; Variables created inside a subclass's
    ``__init__`` are named "<module>/<name>"."""

    def __init__(self, name=None):
        self._name = name if name is not None else _unique_name(_snake_case(type(self).__name__))

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        original = cls.__init__

        @functools.wraps(original)
        def init_in_scope(self, *args, **kw):
            with name_scope(self):
                original(self, *args, **kw)

        cls.__init__ = init_in_scope

    @property
    def name(self):
        return self._name

    @property
    def name_scope(self):
        return name_scope(self)

    def _walk(self):
        """Variables and Modules reachable from the attributes, each once, in order."""
        seen, stack = set(), list(vars(self).values())[::-1]
        while stack:
            value = stack.pop()
            if id(value) in seen:
                continue
            if isinstance(value, (Variable, Module)):
                seen.add(id(value))
                yield value
                if isinstance(value, Module):
                    stack.extend(list(vars(value).values())[::-1])
            elif isinstance(value, dict):
                stack.extend(list(value.values())[::-1])
            elif isinstance(value, (list, tuple)):
                stack.extend(list(value)[::-1])

    @property
    def variables(self):
        return tuple(v for v in self._walk() if isinstance(v, Variable))

    @property
    def trainable_variables(self):
        return tuple(v for v in self.variables if v.trainable)

    @property
    def submodules(self):
        return tuple(m for m in self._walk() if isinstance(m, Module))

    def __repr__(self):
        return f"<{type(self).__name__} '{self._name}'>"
