"""The on-disk kernel cache verifies what it loads and heals (kernels.cache).

Every case runs autotape in fresh subprocesses whose cache folders ($AUTOTAPE_CACHE_DIR,
$HOME, $XDG_CACHE_HOME, $TMPDIR) all lie in pytest's temporary folder, so the user's real
cache is never touched. Each computes reduce_sum(sin(x)) and its gradient: the generated
``unary_sin`` kernels and the shipped ``reduce.sum_all``. Tests run as root ignore permission
bits, so "unwritable" is simulated inside the subprocess (os.open, os.mkdir and open refuse
to write under the listed folders) and "owned by another user" uses chown (root only).
"""

import glob
import json
import os
import shutil
import stat
import subprocess
import sys

import numpy as np
import pytest

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
OTHER_UID = 65534  # nobody

# Writes under the folders in $TEST_READONLY (os.pathsep-separated; "<install>" is the
# folder autotape.kernels was imported from) fail as they would on a read-only file system.
READONLY_SHIM = r'''
import builtins, errno, os
_blocked_roots = [p for p in os.environ.get("TEST_READONLY", "").split(os.pathsep) if p]
if _blocked_roots:
    import autotape.kernels
    _install = os.path.dirname(os.path.abspath(autotape.kernels.__file__))
    _blocked_roots = [_install if p == "<install>" else os.path.abspath(p)
                      for p in _blocked_roots]

    def _blocked(path):
        if isinstance(path, int):
            return False
        path = os.path.abspath(os.fsdecode(path))
        return any(path == r or path.startswith(r + os.sep) for r in _blocked_roots)

    def _deny(path):
        raise PermissionError(errno.EACCES, "Permission denied (read-only in this test)", path)

    _os_open, _os_mkdir, _open = os.open, os.mkdir, builtins.open
    _writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT | getattr(os, "O_TMPFILE", 0)

    def _patched_os_open(path, flags, mode=0o777, *, dir_fd=None):
        if flags & _writing and _blocked(path):
            _deny(path)
        return _os_open(path, flags, mode, dir_fd=dir_fd)

    def _patched_mkdir(path, mode=0o777, *, dir_fd=None):
        if _blocked(path):
            _deny(path)
        return _os_mkdir(path, mode, dir_fd=dir_fd)

    def _patched_open(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+") and _blocked(file):
            _deny(file)
        return _open(file, mode, *args, **kwargs)

    os.open, os.mkdir, builtins.open = _patched_os_open, _patched_mkdir, _patched_open
'''

GRADIENT = r'''
import json
import numpy as np
import autotape as at


def gradient_of_sum_sin(x):
    x = at.constant(x)
    with at.GradientTape() as tape:
        tape.watch(x)
        y = at.reduce_sum(at.sin(x))
    return float(np.asarray(y)), np.asarray(tape.gradient(y, x)).tolist()


x = np.linspace(0.0, 1.0, 16)
y, g = gradient_of_sum_sin(x)
results = {"y": y, "g": g}
'''

AFTER_DELETING_THE_CACHE = r'''
import shutil
shutil.rmtree(os.environ["AUTOTAPE_CACHE_DIR"])
c = at.cos(at.constant(x))  # a new generated module, written to the deleted folder
s = at.reduce_sum(at.constant(x.astype(np.float32)))  # a new signature, saved there
results["cos"] = np.asarray(c).tolist()
results["sum32"] = float(np.asarray(s))
'''

PRINT = 'print("RESULT " + json.dumps(results))\n'

X = np.linspace(0.0, 1.0, 16)
EXPECTED_Y = float(np.sum(np.sin(X)))
EXPECTED_G = np.cos(X)


class Run:
    def __init__(self, finished):
        self.returncode = finished.returncode
        self.stdout = finished.stdout
        self.stderr = finished.stderr
        lines = [line for line in finished.stdout.splitlines() if line.startswith("RESULT ")]
        self.results = json.loads(lines[-1][len("RESULT "):]) if lines else None
        self.saved = sum("[cache] data saved" in line for line in self.stdout.splitlines())
        self.loaded = sum("[cache] data loaded" in line for line in self.stdout.splitlines())

    def describe(self):
        return (f"exit status {self.returncode}\n--- stdout\n{self.stdout[-3000:]}\n"
                f"--- stderr\n{self.stderr[-3000:]}")

    def assert_correct(self):
        assert self.returncode == 0 and self.results is not None, self.describe()
        assert np.isclose(self.results["y"], EXPECTED_Y, rtol=1e-12), self.describe()
        np.testing.assert_allclose(self.results["g"], EXPECTED_G, rtol=1e-12)

    @property
    def warnings(self):
        return [line for line in self.stderr.splitlines() if "KernelCacheWarning" in line]


class Sandbox:
    """Cache, home, XDG and temporary folders for subprocesses, all under ``base``."""

    def __init__(self, base):
        self.base = base
        self.cache = os.path.join(base, "cache")
        self.home = os.path.join(base, "home")
        self.xdg = os.path.join(base, "xdg")
        self.tmp = os.path.join(base, "tmp")
        for folder in (self.home, self.xdg, self.tmp):
            os.makedirs(folder, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("AUTOTAPE_CACHE_DIR", "NUMBA_CACHE_DIR", "XDG_CACHE_HOME",
                                 "NUMBA_DEBUG_CACHE", "TEST_READONLY", "PYTHONWARNINGS")}
        self.env.update(AUTOTAPE_CACHE_DIR=self.cache, HOME=self.home, XDG_CACHE_HOME=self.xdg,
                        TMPDIR=self.tmp, NUMBA_DEBUG_CACHE="1")

    def start(self, extra="", **env):
        environment = dict(self.env)
        for key, value in env.items():
            if value is None:
                environment.pop(key, None)
            else:
                environment[key] = value
        code = READONLY_SHIM + GRADIENT + extra + PRINT
        return subprocess.Popen([sys.executable, "-c", code], cwd=self.base, env=environment,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def run(self, extra="", **env):
        process = self.start(extra, **env)
        try:
            stdout, stderr = process.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
        return Run(subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr))


def kernel_folder(cache):
    folders = glob.glob(os.path.join(cache, "kernels-*"))
    assert len(folders) == 1, folders
    return folders[0]


def files_under(folder, pattern):
    return sorted(glob.glob(os.path.join(folder, "**", pattern), recursive=True))


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A cache filled by one process: the folder, and the name of its kernels-<hash>."""
    sandbox = Sandbox(str(tmp_path_factory.mktemp("template")))
    run = sandbox.run()
    run.assert_correct()
    return sandbox.cache, os.path.basename(kernel_folder(sandbox.cache))


@pytest.fixture
def sandbox(tmp_path):
    return Sandbox(str(tmp_path))


def filled(sandbox, template):
    shutil.copytree(template[0], sandbox.cache)
    return kernel_folder(sandbox.cache)


# Item 11: damaged files in the cache.

def _truncate(data):
    return data[: len(data) // 2]


def _garbage(data):
    return b"\x80\x04garbage, not a pickle" * 3


def _flip_16_bytes(data):
    data = bytearray(data)
    middle = len(data) // 2
    for i in range(middle, middle + 16):
        data[i] ^= 0xFF
    return bytes(data)


def _wrong_formula(data):
    text = data.decode()
    wrong = text.replace("OUT0[i] = sin(a)", "OUT0[i] = 2.0 * sin(a)")
    assert wrong != text
    return wrong.encode()


def _sealed_but_not_machine_code(data):
    """A file whose checksum is right but whose payload cannot be rebuilt into a kernel."""
    import pickle

    from autotape.kernels import cache

    return cache._seal(pickle.dumps(("not", "a compiled kernel")))


DAMAGE = {
    "nbc-sealed-but-not-loadable": ("*.nbc", _sealed_but_not_machine_code),
    "nbi-truncated": ("*.nbi", _truncate),
    "nbi-garbage": ("*.nbi", _garbage),
    "nbc-truncated": ("*.nbc", _truncate),
    "nbc-garbage": ("*.nbc", _garbage),
    "nbc-16-flipped-bytes": ("*.nbc", _flip_16_bytes),
    "py-garbage": ("unary_sin.py", lambda data: b"def fwd(:\n  garbage \x00\xff\n"),
    "py-empty": ("unary_sin.py", lambda data: b""),
    "py-wrong-formula": ("unary_sin.py", _wrong_formula),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_damaged_file_is_deleted_with_a_warning_and_compiled_again(sandbox, template, case):
    pattern, damage = DAMAGE[case]
    folder = filled(sandbox, template)
    damaged = files_under(folder, pattern)
    assert damaged, f"no {pattern} in the cache"
    for path in damaged:
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(damage(data))

    run = sandbox.run()  # the process must neither die (SIGILL, abort) nor raise
    run.assert_correct()
    if pattern.endswith(".py"):  # rewritten: the machine code cached for it still fits
        with open(os.path.join(template[0], template[1], pattern), "rb") as f:
            expected = f.read()
        with open(damaged[0], "rb") as f:
            assert f.read() == expected
    else:
        assert run.saved >= 1, run.describe()  # what was damaged was compiled again
    warned = "\n".join(run.warnings)
    for path in damaged:
        assert path in warned, f"no warning names {path}\n{run.describe()}"

    if case in ("nbc-16-flipped-bytes", "py-wrong-formula"):
        healed = sandbox.run()
        healed.assert_correct()
        assert healed.warnings == [], healed.describe()
        assert healed.saved == 0 and healed.loaded >= 3, healed.describe()


def test_second_process_loads_everything_and_compiles_nothing(sandbox, template):
    filled(sandbox, template)
    run = sandbox.run()
    run.assert_correct()
    assert run.warnings == [] and run.saved == 0 and run.loaded >= 3, run.describe()


# Item 12: faults of the cache folders.

def test_file_where_the_kernels_folder_should_be(sandbox, template):
    os.makedirs(sandbox.cache)
    blocker = os.path.join(sandbox.cache, template[1])
    with open(blocker, "w") as f:
        f.write("not a folder")
    run = sandbox.run()
    run.assert_correct()
    assert blocker in "\n".join(run.warnings), run.describe()
    healed = sandbox.run()
    healed.assert_correct()
    assert healed.warnings == [] and healed.saved == 0, healed.describe()


@pytest.mark.skipif(not AS_ROOT, reason="creating a folder owned by another user needs root")
def test_kernels_folder_owned_by_another_user_is_not_used(sandbox, template):
    folder = filled(sandbox, template)
    planted = os.path.join(folder, "unary_sin.py")
    with open(planted, "rb") as f:
        wrong = _wrong_formula(f.read())
    with open(planted, "wb") as f:
        f.write(wrong)
    for path in [folder] + files_under(folder, "*"):
        os.chown(path, OTHER_UID, OTHER_UID)
    before = files_under(folder, "*")

    run = sandbox.run()
    run.assert_correct()  # the planted formula did not run
    assert folder in "\n".join(run.warnings), run.describe()
    assert files_under(folder, "*") == before
    with open(planted, "rb") as f:
        assert f.read() == wrong  # untouched: it is not ours
    assert files_under(os.path.join(sandbox.xdg, "autotape"), "unary_sin.py"), run.describe()


def test_cache_folder_deleted_while_the_process_runs(sandbox):
    run = sandbox.run(AFTER_DELETING_THE_CACHE)
    run.assert_correct()
    np.testing.assert_allclose(run.results["cos"], np.cos(X), rtol=1e-12)
    assert np.isclose(run.results["sum32"], np.sum(X.astype(np.float32)), rtol=1e-6)
    assert files_under(sandbox.cache, "unary_cos.py"), run.describe()  # recreated


@pytest.mark.parametrize("cache_writable", [True, False], ids=["cache-dir-ok", "cache-dir-0500"])
def test_read_only_install_and_home(sandbox, cache_writable):
    os.makedirs(sandbox.cache)
    readonly = ["<install>", sandbox.home, sandbox.xdg]
    if not cache_writable:
        readonly.append(sandbox.cache)
        os.chmod(sandbox.cache, 0o500)
    os.chmod(sandbox.home, 0o500)
    try:
        run = sandbox.run(TEST_READONLY=os.pathsep.join(readonly))
        run.assert_correct()
        used = sandbox.cache if cache_writable else os.path.join(sandbox.tmp,
                                                                 f"autotape-{os.getuid()}")
        assert files_under(used, "reduce.sum_all*.nbc"), run.describe()  # shipped kernels too
        if not cache_writable:
            assert sandbox.cache in "\n".join(run.warnings), run.describe()
        again = sandbox.run(TEST_READONLY=os.pathsep.join(readonly))
        again.assert_correct()
        assert again.saved == 0, again.describe()
    finally:
        os.chmod(sandbox.cache, 0o700)
        os.chmod(sandbox.home, 0o700)


# Item 13: the fallback folder in the shared temporary folder.

def _unusable_home(sandbox):
    """Environment under which only the temporary folder is left to cache in."""
    not_a_folder = os.path.join(sandbox.base, "a-file")
    with open(not_a_folder, "w"):
        pass
    return dict(AUTOTAPE_CACHE_DIR=None, HOME=not_a_folder,
                XDG_CACHE_HOME=os.path.join(not_a_folder, "cache"))


TMP_CASES = ["absent", "mode-0777"] + (["another-user"] if AS_ROOT else [])


@pytest.mark.parametrize("case", TMP_CASES)
def test_temporary_fallback_folder_is_private(sandbox, template, case):
    fallback = os.path.join(sandbox.tmp, f"autotape-{os.getuid()}")
    planted = None
    if case != "absent":
        os.makedirs(os.path.join(fallback, template[1]))
        planted = os.path.join(fallback, template[1], "unary_sin.py")
        with open(os.path.join(template[0], template[1], "unary_sin.py"), "rb") as f:
            wrong = _wrong_formula(f.read())
        with open(planted, "wb") as f:
            f.write(wrong)
        if case == "mode-0777":
            os.chmod(fallback, 0o777)
        else:
            for path in (fallback, os.path.dirname(planted), planted):
                os.chown(path, OTHER_UID, OTHER_UID)

    run = sandbox.run(**_unusable_home(sandbox))
    run.assert_correct()  # and no planted code ran
    if case == "absent":
        assert stat.S_IMODE(os.stat(fallback).st_mode) == 0o700
        assert files_under(fallback, "unary_sin.py"), run.describe()
    else:
        assert fallback in "\n".join(run.warnings), run.describe()
        with open(planted, "rb") as f:
            assert f.read() == wrong
        assert files_under(fallback, "*.nbi") == [], run.describe()


def test_concurrent_processes_share_a_fresh_cache(sandbox):
    processes = [sandbox.start() for _ in range(2)]
    for process in processes:
        stdout, stderr = process.communicate(timeout=240)
        run = Run(subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr))
        run.assert_correct()
        assert run.warnings == [], run.describe()
    after = sandbox.run()
    after.assert_correct()
    assert after.warnings == [] and after.saved == 0, after.describe()
