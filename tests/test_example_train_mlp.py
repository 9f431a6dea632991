"""examples/train_mlp.py trains: a short run lowers the loss a lot and classifies the spirals."""

import importlib.util
import os

import numpy as np
import pytest

import autotape as at

pytestmark = pytest.mark.modules

_PATH = os.path.join(os.path.dirname(__file__), os.pardir, "examples", "train_mlp.py")


def _load_example():
    spec = importlib.util.spec_from_file_location("train_mlp_example", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines functions only: nothing runs on import
    return module


def test_train_mlp_learns_the_spirals():
    example = _load_example()
    model, history, (x, y) = example.train(steps=500, seed=0, log_every=50, verbose=False)

    steps, losses, accuracies = zip(*history)
    assert steps[0] == 0 and steps[-1] == 500
    assert np.all(np.isfinite(losses))
    assert losses[0] > 0.9                    # about log(3) for an untrained 3-class model
    assert losses[-1] < losses[0] / 5         # fell by a wide factor
    assert accuracies[-1] > 0.95

    assert isinstance(model, at.Module)
    assert len(model.trainable_variables) == 6   # 3 Dense layers: kernel and bias each
    predicted = at.argmax(model(x), axis=1).numpy()
    assert np.mean(predicted == y) == pytest.approx(accuracies[-1])
