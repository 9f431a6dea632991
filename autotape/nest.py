"""Nested structures of lists, tuples and dicts: flatten them, and rebuild one like another."""


def flatten(structure):
    if isinstance(structure, dict):
        return [leaf for key in structure for leaf in flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def pack_like(structure, leaves):
    """A structure like ``structure`` whose leaves are taken in order from ``leaves``."""
    iterator = iter(leaves)

    def build(s):
        if isinstance(s, dict):
            return type(s)((key, build(s[key])) for key in s)
        if isinstance(s, (list, tuple)):
            items = [build(item) for item in s]
            return type(s)(*items) if hasattr(s, "_fields") else type(s)(items)
        return next(iterator)

    return build(structure)
