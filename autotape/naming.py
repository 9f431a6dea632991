"""Name scopes: Variables created while a Module builds are named "<module>/<variable>".

The stack holds names, or Modules whose name is read when a Variable is created (a
subclass sets its name in ``super().__init__`` after its scope has opened)."""

import contextlib
import threading


class _Scopes(threading.local):
    def __init__(self):
        self.stack = []


_scopes = _Scopes()


@contextlib.contextmanager
def name_scope(name_or_module):
    """Names made inside get the prefix ``name/``; a Module on top already is not pushed."""
    stack = _scopes.stack
    if stack and stack[-1] is name_or_module:
        yield
        return
    stack.append(name_or_module)
    try:
        yield
    finally:
        stack.pop()


def qualify(name):
    parts = [p if isinstance(p, str) else getattr(p, "_name", None) for p in _scopes.stack]
    return "/".join([p for p in parts if p] + [name])
