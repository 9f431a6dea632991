"""Train a small classifier on three interleaved spirals with autotape.

    python examples/train_mlp.py [decision_boundary.png]

A 2-64-64-3 tanh network (an ``at.Module`` holding ``at.layers.Dense`` layers) trained on
mini-batches with Adam under ``at.GradientTape``. It prints the loss and accuracy on the whole
training set as it goes, then saves a picture of the learned decision boundary (if matplotlib
is installed).
"""

import sys
import time

import numpy as np

import autotape as at


def make_spirals(n_per_class=500, n_classes=3, noise=0.1, seed=0):
    """``n_classes`` interleaved spiral arms in the plane: points (N, 2) and labels (N,)."""
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.uniform(0.0, 1.0, (n_classes, n_per_class))) * 3 * np.pi  # 1.5 turns
    arm = np.arange(n_classes)[:, None] * 2 * np.pi / n_classes               # each arm's offset
    r = t / np.pi                                                             # radius 0 to 3
    x = np.stack([r * np.cos(t + arm), r * np.sin(t + arm)], axis=-1).reshape(-1, 2)
    x += rng.normal(0.0, noise, x.shape)
    y = np.repeat(np.arange(n_classes), n_per_class)
    return x, y


class MLP(at.Module):
    def __init__(self, hidden=64, n_classes=3):
        super().__init__()
        self.layers = [at.layers.Dense(hidden, activation="tanh"),
                       at.layers.Dense(hidden, activation="tanh"),
                       at.layers.Dense(n_classes)]             # logits

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def loss_and_accuracy(model, x, y):
    logits = model(x)
    loss = at.reduce_mean(at.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    return float(loss), float(np.mean(at.argmax(logits, axis=1).numpy() == y))


def train(steps=1000, seed=0, n_classes=3, batch_size=100, learning_rate=0.02,
          log_every=100, verbose=True):
    """Train on freshly made spirals; return ``(model, history, (x, y))``, ``history`` a list
    of ``(step, loss, accuracy)`` on the whole training set, every ``log_every`` steps."""
    at.random.set_seed(seed)                     # the Dense layers' initial weights
    rng = np.random.default_rng(seed)            # the order of the mini-batches
    x, y = make_spirals(n_classes=n_classes, seed=seed)
    model = MLP(n_classes=n_classes)
    optimizer = at.optimizers.Adam(learning_rate)
    history, order = [], np.array([], dtype=int)
    for step in range(steps + 1):
        if step % log_every == 0 or step == steps:
            history.append((step, *loss_and_accuracy(model, x, y)))
            if verbose:
                print("step {:5d}   loss {:.4f}   accuracy {:.3f}".format(*history[-1]))
        if step == steps:
            break
        if len(order) < batch_size:              # a new epoch: shuffle again
            order = rng.permutation(len(x))
        batch, order = order[:batch_size], order[batch_size:]
        with at.GradientTape() as tape:
            logits = model(x[batch])
            loss = at.reduce_mean(at.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y[batch], logits=logits))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    return model, history, (x, y)


def plot_decision_boundary(model, x, y, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: skipping the decision-boundary plot "
              "(pip install matplotlib)")
        return
    lo, hi = x.min(axis=0) - 0.5, x.max(axis=0) + 0.5
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 300), np.linspace(lo[1], hi[1], 300))
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    classes = at.argmax(model(grid), axis=1).numpy().reshape(gx.shape)
    fig, ax = plt.subplots(figsize=(6, 6))
    colors = dict(cmap="tab10", vmin=0, vmax=9)  # class 0 blue, 1 orange, 2 green, ...
    ax.contourf(gx, gy, classes, levels=np.arange(y.max() + 2) - 0.5, alpha=0.3, **colors)
    ax.scatter(x[:, 0], x[:, 1], c=y, s=8, edgecolors="k", linewidths=0.2, **colors)
    ax.set_title(f"autotape MLP: accuracy {loss_and_accuracy(model, x, y)[1]:.1%}")
    ax.set_aspect("equal")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    print(f"saved the decision boundary to {path}")


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else "decision_boundary.png"
    start = time.perf_counter()
    model, history, (x, y) = train()
    print(f"trained in {time.perf_counter() - start:.1f} s")
    plot_decision_boundary(model, x, y, path)
