"""Every examples/tutorial_*.py runs to the end: each asserts the numbers of the TensorFlow
tutorial it adapts, so exit code 0 means they all hold on autotape.

(examples/train_mlp.py has its own test, test_example_train_mlp.py.)
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TUTORIALS = sorted(EXAMPLES.glob("tutorial_*.py"))

# The scripts written with this test: the glob must find at least these, so that a rename
# or a wrong path fails here instead of collecting nothing.
EXPECTED = {
    "tutorial_autodiff_eager.py",
    "tutorial_gradient_tape_basics.py",
    "tutorial_gradients.py",
    "tutorial_unconnected_gradients.py",
}


def test_tutorial_scripts_are_found():
    found = {path.name for path in TUTORIALS}
    assert EXPECTED <= found, f"missing from {EXAMPLES}: {sorted(EXPECTED - found)}"


@pytest.mark.parametrize("script", TUTORIALS, ids=[path.name for path in TUTORIALS])
def test_tutorial_script_runs(script, tmp_path):
    # Run from an unrelated folder, with the repository importable, as a user would after
    # installing: nothing may depend on the working directory.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(EXAMPLES.parent)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (
        f"{script.name} exited with {result.returncode}\n--- stdout\n{result.stdout}"
        f"\n--- stderr\n{result.stderr}")
    assert "all checks passed" in result.stdout
