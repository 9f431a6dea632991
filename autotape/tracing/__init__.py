"""``tape_function``: tracing Python functions into value-free records and running those
compiled (see ``function``; the records are ``ir``, made by ``tracer``)."""

from .function import CacheInfo, TapeFunction, tape_function

__all__ = ["CacheInfo", "TapeFunction", "tape_function"]
