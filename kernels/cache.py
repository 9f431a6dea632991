"""Where compiled kernels are cached on disk, and checking what is loaded from there.

Every kernel module decorates its loops with ``kernel(...)``, Numba's ``njit`` with this
module's cache, instead of ``njit(cache=True, ...)``; ``kernels.elementwise`` runs its
generated modules through ``generated_module``. Both keep their files in one folder,
``<root>/kernels-<hash>/``: the generated sources, and Numba's index (``.nbi``) and machine
code (``.nbc``) files under ``numba/``. The hash covers the files generated code depends
on, this file, and the Python, NumPy and Numba versions, so an upgrade never loads stale code.

The root is the first usable one of ``$AUTOTAPE_CACHE_DIR``, ``$NUMBA_CACHE_DIR/autotape``,
``$XDG_CACHE_HOME/autotape`` (default ``~/.cache/autotape``) and ``<tempdir>/autotape-<uid>``.
Usable: a folder (created with mode 0700 when missing) owned by this user, that no other
user can write to, in which a file can be created; the one in the shared temporary folder
must also not be a symbolic link nor open to other users at all. The ``kernels-<hash>``
folder and ``numba/`` in it are checked the same way. Where none is usable, kernels compile
in memory, in every process again. Each folder passed over is named in a warning.

What is loaded is checked before it runs:

- a generated module's file is compared (sha256) with the source autotape generates, and
  rewritten when it differs; the module runs from that verified text, never from the file;
- each ``.nbi``/``.nbc`` file carries a sha256 of its pickled payload, verified before
  anything is unpickled, so no damaged machine code is ever loaded;
- an entry that fails to load anyway (bad checksum, truncated, unpickling, rebuilding,
  OSError) has its file deleted, with a ``KernelCacheWarning`` naming it, and the kernel
  compiles again.

The checksums detect damage, not a hostile writer: keeping other users out is the folder
checks' job. Files are written to a temporary name and moved into place (``os.replace``), so
concurrent processes and threads only ever see whole files.

Numba is imported only when the first kernel is decorated, never at ``import autotape``.
"""

import functools
import hashlib
import inspect
import os
import stat
import sys
import tempfile
import threading
import types
import warnings

# Files the generated kernels depend on: kernels.elementwise writes them from the formulas,
# and they call the vector math functions.
_HASHED_FILES = ("elementwise.py", "formulas.py", "vecmath.py", "cache.py")
_NUMBA_FOLDER = "numba"
_MAGIC = b"autotape kernel cache 1\n"  # starts every .nbi/.nbc file, then sha256, payload


class KernelCacheWarning(RuntimeWarning):
    """A kernel cache file or folder could not be used; autotape compiled instead."""


_lock = threading.RLock()
_chosen = False
_root = None  # (path, in the shared temporary folder) of the folder in use, or None
_directory = None  # <root>/kernels-<hash>, or None: compile in memory
_generated = {}  # path of a generated module -> sha256 of the source it ran from
_warned = set()


def _warn(message, key=None):
    with _lock:
        key = message if key is None else key
        if key in _warned:
            return
        _warned.add(key)
    warnings.warn("autotape: " + message, KernelCacheWarning, stacklevel=3)


@functools.cache
def source_hash():
    """Hash of everything generated kernels depend on (names the kernels-<hash> folder)."""
    import numba
    import numpy

    digest = hashlib.sha256()
    for version in (sys.version, numpy.__version__, numba.__version__):
        digest.update(version.encode() + b"\0")
    here = os.path.dirname(os.path.abspath(__file__))
    for name in _HASHED_FILES:
        with open(os.path.join(here, name), "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()[:16]


def _uid():
    return os.getuid() if hasattr(os, "getuid") else None


def _candidates():
    """(folder, in the shared temporary folder) pairs, in order of preference."""
    found = []
    for variable, leaf in (("AUTOTAPE_CACHE_DIR", ""), ("NUMBA_CACHE_DIR", "autotape")):
        if os.environ.get(variable):
            found.append((os.path.join(os.path.abspath(os.environ[variable]), leaf), False))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser(os.path.join("~", ".cache"))
    if os.path.isabs(base):  # expanduser leaves "~" when there is no home
        found.append((os.path.join(base, "autotape"), False))
    try:
        found.append((os.path.join(tempfile.gettempdir(), f"autotape-{_uid()}"), True))
    except OSError:  # no usable temporary folder at all
        pass
    return [(os.path.normpath(path), shared) for path, shared in found]


def _check(path, shared=False, make_parents=False):
    """Create folder ``path`` (mode 0700) if missing; None if it is usable, else why not."""
    try:
        if make_parents:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            if shared:
                return "is a symbolic link"
            info = os.stat(path)
        if not stat.S_ISDIR(info.st_mode):
            return "is not a folder"
        uid = _uid()  # None where there are no POSIX owners and modes (Windows)
        if uid is not None and info.st_uid != uid:
            return f"is owned by another user (uid {info.st_uid}, not {uid})"
        if uid is not None and info.st_mode & (0o077 if shared else 0o022):
            return (f"has mode {stat.S_IMODE(info.st_mode):04o}: "
                    f"other users could {'use' if shared else 'write to'} it")
        tempfile.TemporaryFile(dir=path).close()  # writable (also on a read-only mount)
    except OSError as error:
        about = f": {error.filename}" if error.filename not in (None, path) else ""
        return f"cannot be used ({error.strerror or error}{about})"
    return None


def _check_kernels(path):
    """``_check`` for a folder inside a checked root: a stray file there is removed."""
    reason = _check(path)
    if reason == "is not a folder" or (reason and os.path.islink(path)):
        try:
            os.unlink(path)  # the root is ours and private, so is what is in it
        except OSError:
            return reason
        _warn(f"removed {path}, which was in the way of the kernel cache folder")
        reason = _check(path)
    return reason


def _choose():
    global _root
    passed = []
    for root, shared in _candidates():
        where, reason = root, _check(root, shared, make_parents=not shared)
        if reason is None:
            where = os.path.join(root, "kernels-" + source_hash())
            reason = _check_kernels(where)
        if reason is None:
            _root = (root, shared)
            if passed:
                _warn(f"kernel cache folder {'; '.join(passed)}; using {where}",
                      key=("use", where))
            return where
        passed.append(f"{where} {reason}")
    _root = None
    _warn("no usable kernel cache folder (" + "; ".join(passed) + "): kernels are compiled "
          "in memory, in every process again", key=("none",) + tuple(passed))
    return None


def directory():
    """The checked folder kernels are cached in, or None: compile in memory."""
    global _chosen, _directory
    with _lock:
        if not _chosen:
            _directory = _choose()
            _chosen = True
        return _directory


def _choose_again():
    """After the folder in use failed (deleted, made unwritable): check and choose again."""
    global _chosen
    with _lock:
        _chosen = False
        return directory()


def _ensure(path):
    """Make sure ``path`` (a folder in the one in use) exists and passes the checks again,
    recreating what was deleted; raise OSError when it cannot be used."""
    with _lock:
        if _root is None:
            raise OSError(f"no kernel cache folder in use for {path}")
        root, shared = _root
        if os.path.commonpath([root, path]) != root:
            raise OSError(f"{path} is no longer in the kernel cache folder in use, {root}")
        chain = [(root, _check(root, shared, make_parents=not shared))]
        relative = os.path.relpath(path, root).split(os.sep)
        for depth in range(1, len(relative) + 1):
            if chain[-1][1] is not None:
                break
            folder = os.path.join(root, *relative[:depth])
            chain.append((folder, _check_kernels(folder)))
        folder, reason = chain[-1]
        if reason is not None:
            raise OSError(f"{folder} {reason}")


def _write_verified(path, data, digest):
    """Leave ``path`` holding exactly ``data`` (sha256 ``digest``), rewriting it if needed."""
    try:
        with open(path, "rb") as f:
            current = f.read()
    except FileNotFoundError:
        current = None
    except IsADirectoryError:
        current = b""
    if current is not None:
        if hashlib.sha256(current).hexdigest() == digest:
            return
        _warn(f"kernel source {path} differs from the source autotape generates "
              f"(damaged or edited); rewriting it")
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        if os.path.isdir(path) and not os.path.islink(path):
            os.rmdir(path)
        os.replace(temporary, path)  # atomic: concurrent processes never see half a file
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def generated_module(stem, source):
    """Run generated kernel module ``source`` as a module, from a verified file
    ``<stem>.py`` in the cache folder (so its kernels are cached), or in memory."""
    data = source.encode()
    digest = hashlib.sha256(data).hexdigest()
    path = None
    folder = directory()
    for attempt in range(2):
        if folder is None:
            break
        candidate = os.path.join(folder, stem + ".py")
        try:
            _ensure(folder)
            _write_verified(candidate, data, digest)
            path = candidate
            break
        except OSError as error:
            _warn(f"cannot write kernel source {candidate} ({error})")
            folder = _choose_again() if attempt == 0 else None
    name = f"_autotape_generated_{source_hash()}_{stem}"
    module = types.ModuleType(name)
    module.__file__ = path or f"<autotape generated {stem}>"
    if path is not None:
        with _lock:
            _generated[path] = digest
    sys.modules[name] = module
    try:
        exec(compile(source, module.__file__, "exec"), module.__dict__)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


@functools.lru_cache(maxsize=None)
def _file_digest(path, mtime_ns, size):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _source_stamp(py_file):
    """What Numba's index records for the source: sha256 of the file the code came from."""
    with _lock:
        digest = _generated.get(py_file)
    if digest is not None:
        return digest  # the verified text the generated module ran from
    info = os.stat(py_file)
    return _file_digest(py_file, info.st_mtime_ns, info.st_size)


def kernel(function=None, **options):
    """``numba.njit(**options)`` whose compiled code is cached in autotape's checked folder,
    verified before it is loaded (replaces ``njit(cache=True, ...)``)."""
    if "cache" in options:
        raise TypeError("kernel() always caches; do not pass cache=")

    def decorate(py_function):
        from numba import njit

        dispatcher = njit(**options)(py_function)
        _attach(dispatcher)
        return dispatcher

    return decorate if function is None else decorate(function)


def _attach(dispatcher):
    if not hasattr(dispatcher, "py_func") or not hasattr(dispatcher, "_cache"):
        return  # NUMBA_DISABLE_JIT: a plain Python function
    py_file = inspect.getfile(dispatcher.py_func)
    with _lock:
        generated = py_file in _generated
    if not generated and not os.path.isfile(py_file):
        return  # a module generated in memory
    folder = directory()
    if folder is None:
        return
    try:
        cache_class, locator_class = _numba_classes()
        locator = locator_class(dispatcher.py_func, py_file,
                                os.path.join(folder, _NUMBA_FOLDER), _source_stamp(py_file))
        dispatcher._cache = cache_class(dispatcher.py_func, locator)  # Numba private API
    except Exception as error:  # never fall back to Numba's unverified cache
        _warn(f"cannot attach autotape's kernel cache ({type(error).__name__}: {error}); "
              f"kernels are compiled in memory", key="attach")


class _Damaged(Exception):
    def __init__(self, path, identity, reason):
        super().__init__(reason)
        self.path, self.identity, self.reason = path, identity, reason


def _identity(info):
    return info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size


def _seal(payload):
    return _MAGIC + hashlib.sha256(payload).digest() + payload


def _read_sealed(path):
    """The verified payload of a sealed file; FileNotFoundError, or _Damaged."""
    identity = None
    try:
        with open(path, "rb") as f:
            identity = _identity(os.fstat(f.fileno()))
            blob = f.read()
    except FileNotFoundError:
        raise
    except OSError as error:
        raise _Damaged(path, identity, f"cannot be read: {error}") from error
    start = len(_MAGIC) + 32
    if len(blob) < start or not blob.startswith(_MAGIC):
        raise _Damaged(path, identity, "truncated or not an autotape cache file")
    payload = blob[start:]
    if hashlib.sha256(payload).digest() != blob[len(_MAGIC):start]:
        raise _Damaged(path, identity, "checksum mismatch")
    return payload, identity


def _discard(damaged, what):
    """Delete a damaged cache file (unless another process has since replaced it)."""
    try:
        if damaged.identity is None or _identity(os.stat(damaged.path)) == damaged.identity:
            os.unlink(damaged.path)
            deleted = "deleted it"
        else:
            deleted = "another process has replaced it since"
    except FileNotFoundError:
        deleted = "deleted it"
    except OSError:
        deleted = "could not delete it"
    _warn(f"damaged kernel cache file {damaged.path} ({damaged.reason}); {deleted} and "
          f"{what}", key=("damaged",) + tuple(damaged.identity or (damaged.path,)))


@functools.cache
def _numba_classes():
    """The verified cache, built on Numba's own (private) caching classes.

    Written against numba 0.68.1, ``numba/core/caching.py``: subclasses of ``FunctionCache``
    (whose ``_index_key``, ``_save_overload`` and ``_impl`` protocol it reuses),
    ``CompileResultCacheImpl``, ``IndexDataCacheFile`` (its ``_open_for_write``,
    ``_data_name``, ``_data_path``, ``_dump``) and ``_CacheLocator``, attached by replacing a
    dispatcher's ``_cache`` (what ``Dispatcher.enable_caching`` does). Any mismatch makes
    ``_attach`` warn and compile in memory."""
    import pickle

    import numba
    from numba.core import caching

    needed = {caching.FunctionCache: ("_index_key", "_save_overload"),
              caching.IndexDataCacheFile: ("_open_for_write", "_data_name", "_data_path",
                                           "_dump"),
              caching.CompileResultCacheImpl: ("get_filename_base", "rebuild", "reduce")}
    for owner, names in needed.items():
        missing = [n for n in names if not hasattr(owner, n)]
        if missing:
            raise RuntimeError(f"numba {numba.__version__} lacks {owner.__name__}."
                               f"{', '.join(missing)}")

    class Locator(caching._CacheLocator):
        def __init__(self, py_func, py_file, cache_path, stamp):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            self._cache_path = cache_path
            self._stamp = stamp

        def ensure_cache_path(self):
            _ensure(self._cache_path)

        def get_cache_path(self):
            return self._cache_path

        def get_source_stamp(self):
            return self._stamp

        def get_disambiguator(self):
            return str(self._lineno)

    class Impl(caching.CompileResultCacheImpl):
        def __init__(self, py_func, locator):  # CacheImpl's, less its search for a locator
            self._lineno = py_func.__code__.co_firstlineno
            self._locator = locator
            qualname = getattr(py_func, "__qualname__", py_func.__name__)
            module = os.path.splitext(os.path.basename(locator._py_file))[0]
            self._filename_base = self.get_filename_base(f"{module}.{qualname}",
                                                         getattr(sys, "abiflags", ""))

    class CheckedFile(caching.IndexDataCacheFile):
        """Index and data files sealed with a sha256 of their payload."""

        _loaded = None  # (key, path, identity) of the data file last loaded

        def load(self, key):
            try:
                overloads = self._load_index()
            except _Damaged as damaged:
                _discard(damaged, "compiling again")
                return None
            name = overloads.get(key)
            if name is None:
                return None
            try:
                data, identity = self._load_data(name)
            except FileNotFoundError:
                return None  # deleted while the index still named it
            except _Damaged as damaged:
                _discard(damaged, "compiling again")
                return None
            self._loaded = (key, self._data_path(name), identity)
            return data

        def discard_loaded(self, key, error):
            """The data just loaded for ``key`` failed to rebuild: delete it."""
            if self._loaded is None or self._loaded[0] != key:
                return
            _, path, identity = self._loaded
            self._loaded = None
            _discard(_Damaged(path, identity, f"failed to load: {type(error).__name__}: "
                                              f"{error}"), "compiling again")

        def save(self, key, data):
            try:
                overloads = self._load_index()
            except _Damaged as damaged:
                _discard(damaged, "writing a new one")
                overloads = {}
            data_name = overloads.get(key)
            if data_name is None:
                existing = set(overloads.values())
                number = 1
                while self._data_name(number) in existing:
                    number += 1
                data_name = overloads[key] = self._data_name(number)
                self._save_index(overloads)
            self._save_data(data_name, data)

        def _load_index(self):
            try:
                payload, identity = _read_sealed(self._index_path)
            except FileNotFoundError:
                return {}  # nothing cached yet
            try:
                version, stamp, overloads = pickle.loads(payload)
            except Exception as error:
                raise _Damaged(self._index_path, identity,
                               f"cannot be unpickled: {type(error).__name__}") from error
            caching._cache_log("[cache] index loaded from %r", self._index_path)
            if version != self._version or stamp != self._source_stamp:
                return {}  # stale: the next save overwrites it
            return overloads

        def _save_index(self, overloads):
            payload = self._dump((self._version, self._source_stamp, overloads))
            with self._open_for_write(self._index_path) as f:
                f.write(_seal(payload))
            caching._cache_log("[cache] index saved to %r", self._index_path)

        def _load_data(self, name):
            path = self._data_path(name)
            payload, identity = _read_sealed(path)
            try:
                data = pickle.loads(payload)
            except Exception as error:
                raise _Damaged(path, identity,
                               f"cannot be unpickled: {type(error).__name__}") from error
            caching._cache_log("[cache] data loaded from %r", path)
            return data, identity

        def _save_data(self, name, data):
            path = self._data_path(name)
            with self._open_for_write(path) as f:
                f.write(_seal(self._dump(data)))
            caching._cache_log("[cache] data saved to %r", path)

    class VerifiedCache(caching.FunctionCache):
        def __init__(self, py_func, locator):  # Cache's, with our locator and file class
            self._name = repr(py_func)
            self._py_func = py_func
            self._impl = Impl(py_func, locator)
            self._cache_path = locator.get_cache_path()
            self._cache_file = CheckedFile(cache_path=self._cache_path,
                                           filename_base=self._impl.filename_base,
                                           source_stamp=locator.get_source_stamp())
            self.enable()

        def load_overload(self, sig, target_context):
            target_context.refresh()
            if not self._enabled:
                return None
            key = self._index_key(sig, target_context.codegen())
            data = self._cache_file.load(key)
            if data is None:
                return None
            try:
                return self._impl.rebuild(target_context, data)
            except Exception as error:  # the code never runs: it is compiled instead
                self._cache_file.discard_loaded(key, error)
                return None

        def save_overload(self, sig, data):
            try:
                self._save_overload(sig, data)
            except Exception as error:
                _warn(f"cannot save a compiled kernel in {self._cache_path} "
                      f"({type(error).__name__}: {error}); it is compiled again next time",
                      key=("save", self._cache_path))

    return VerifiedCache, Locator
