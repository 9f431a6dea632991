"""Nested structures of lists, tuples and dicts: flatten them, and rebuild one like another."""


def flatten(structure):
    if isinstance(structure, dict):
        return [leaf for key in structure for leaf in flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def pack_like(structure, leaves):
    """A structure like ``structure`` whose leaves are taken in order from ``leaves``."""
    return _build(structure, iter(leaves))


def _build(structure, leaves):
    # A module-level function, not a closure calling itself: such a closure is a reference
    # cycle, which would keep the leaves (gradients) alive until the garbage collector ran.
    if isinstance(structure, dict):
        return type(structure)((key, _build(structure[key], leaves)) for key in structure)
    if isinstance(structure, (list, tuple)):
        items = [_build(item, leaves) for item in structure]
        return type(structure)(*items) if hasattr(structure, "_fields") else type(structure)(items)
    return next(leaves)
