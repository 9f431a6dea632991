"""mlp: one training step of a 784-256-10 ReLU network: the loss and its 4 gradients.

``logits = relu(x @ W1 + b1) @ W2 + b2``; the loss is the softmax cross-entropy with integer
labels, averaged over a batch of 256; everything float32 (checked with rtol 1e-3). Each
variant returns ``(loss, (dW1, db1, dW2, db2))``.
"""

import importlib.util

import numpy as np

from bench.libraries import Status, VariantUnavailable
from bench.registry import Inputs, define_workload, seeded_rng

BATCH, FEATURES, HIDDEN, CLASSES = 256, 784, 256, 10


def logits(relu, x, W1, b1, W2, b2):
    return relu(x @ W1 + b1) @ W2 + b2


def build_inputs(quick: bool) -> Inputs:
    rng = seeded_rng()
    x = rng.standard_normal((BATCH, FEATURES), dtype=np.float32)
    labels = rng.integers(0, CLASSES, BATCH)  # int64
    # He-scaled weights and small nonzero biases: every gradient is nonzero and O(1e-2)
    W1 = rng.standard_normal((FEATURES, HIDDEN), dtype=np.float32) * np.float32(
        np.sqrt(2.0 / FEATURES))
    b1 = rng.standard_normal(HIDDEN, dtype=np.float32) * np.float32(0.1)
    W2 = rng.standard_normal((HIDDEN, CLASSES), dtype=np.float32) * np.float32(
        np.sqrt(2.0 / HIDDEN))
    b2 = rng.standard_normal(CLASSES, dtype=np.float32) * np.float32(0.1)
    return Inputs({"x": x, "labels": labels, "W1": W1, "b1": b1, "W2": W2, "b2": b2},
                  note=f"x: {BATCH}x{FEATURES} float32 standard normal, labels: {BATCH} int64 "
                       f"in [0, {CLASSES}), He-scaled float32 weights")


workload = define_workload(
    "mlp", f"{FEATURES}-{HIDDEN}-{CLASSES} ReLU MLP training step: mean softmax cross-entropy "
           "and its 4 gradients", build_inputs)


def reference_step(x, labels, W1, b1, W2, b2):
    """Loss and gradients, forward and backward written out by hand in NumPy that Numba
    compiles (the ``numba`` variant; the tests call it uncompiled). Bias gradients are sums
    over the batch written as products with a row of ones: Numba compiles ``sum(axis=0)``
    slowly (2 s here)."""
    batch, classes = x.shape[0], W2.shape[1]
    hidden_in = x @ W1 + b1
    active = (hidden_in > 0).astype(np.float32)
    hidden = hidden_in * active  # relu
    out = hidden @ W2 + b2
    d_out = np.empty_like(out)  # (softmax - one_hot(labels)) / batch
    loss = 0.0
    for i in range(batch):
        largest = out[i].max()
        total = 0.0
        for j in range(classes):
            e = np.exp(out[i, j] - largest)
            d_out[i, j] = e
            total += e
        for j in range(classes):
            d_out[i, j] /= total
        d_out[i, labels[i]] -= 1.0
        loss += np.log(total) + largest - out[i, labels[i]]
    d_out /= np.float32(batch)
    ones = np.ones(batch, np.float32)
    d_hidden_in = (d_out @ W2.T) * active
    return np.float32(loss / batch), (x.T @ d_hidden_in, ones @ d_hidden_in,
                                      hidden.T @ d_out, ones @ d_out)


def _gradient_tape_step(lib, x, labels, parameters):
    """The step with ``lib.GradientTape`` and ``lib.Variable``: autotape, and tensorflow."""
    x, labels = lib.constant(x), lib.constant(labels)
    variables = [lib.Variable(p) for p in parameters]

    def loss_and_gradients():
        with lib.GradientTape() as tape:
            out = logits(lib.nn.relu, x, *variables)
            loss = lib.reduce_mean(
                lib.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=out))
        return loss, tuple(tape.gradient(loss, variables))

    return loss_and_gradients


@workload.variant("autotape")
def autotape(at, x, labels, W1, b1, W2, b2):
    return _gradient_tape_step(at, x, labels, (W1, b1, W2, b2))


def _autotape_loss(at, x, labels, W1, b1, W2, b2):
    out = logits(at.nn.relu, x, W1, b1, W2, b2)
    return at.reduce_mean(at.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=out))


@workload.variant("autotape_jit", note="at.value_and_grad(at.tape_function(loss), argnums="
                                       "(2, 3, 4, 5))")
def autotape_jit(at, x, labels, W1, b1, W2, b2):
    loss_and_gradients = at.value_and_grad(at.tape_function(
        lambda x, labels, *p: _autotape_loss(at, x, labels, *p)), argnums=(2, 3, 4, 5))
    arguments = [at.constant(a) for a in (x, labels, W1, b1, W2, b2)]
    return lambda: loss_and_gradients(*arguments)


@workload.variant("autotape_jit_tape", note="GradientTape around an at.tape_function reading "
                                            "the Variables")
def autotape_jit_tape(at, x, labels, W1, b1, W2, b2):
    x, labels = at.constant(x), at.constant(labels)
    variables = [at.Variable(p) for p in (W1, b1, W2, b2)]
    loss = at.tape_function(lambda x, labels: _autotape_loss(at, x, labels, *variables))

    def loss_and_gradients():
        with at.GradientTape() as tape:
            value = loss(x, labels)
        return value, tuple(tape.gradient(value, variables))

    return loss_and_gradients


@workload.variant("numba", note="forward and backward by hand in one @njit function "
                                "(matmuls: Numba's np.dot, BLAS through SciPy)")
def numba(numba, x, labels, W1, b1, W2, b2):
    if importlib.util.find_spec("scipy") is None:  # Numba's np.dot calls BLAS through SciPy
        raise VariantUnavailable(Status.NOT_INSTALLED, "needs scipy for Numba's matmul")
    step = numba.njit(reference_step)
    return lambda: step(x, labels, W1, b1, W2, b2)


@workload.variant("jax")
def jax(jax, x, labels, W1, b1, W2, b2):
    jnp = jax.numpy

    def loss(parameters, x, labels):
        log_probabilities = jax.nn.log_softmax(logits(jax.nn.relu, x, *parameters))
        return -jnp.mean(jnp.take_along_axis(log_probabilities, labels[:, None], axis=1))

    loss_and_gradients = jax.jit(jax.value_and_grad(loss))
    parameters = tuple(jnp.asarray(p) for p in (W1, b1, W2, b2))
    x, labels = jnp.asarray(x), jnp.asarray(labels)
    return lambda: loss_and_gradients(parameters, x, labels)


@workload.variant("torch")
def torch(torch, x, labels, W1, b1, W2, b2):
    x, labels = torch.from_numpy(x), torch.from_numpy(labels)
    parameters = [torch.from_numpy(p.copy()).requires_grad_(True) for p in (W1, b1, W2, b2)]

    def loss_and_gradients():
        out = logits(torch.relu, x, *parameters)
        loss = torch.nn.functional.cross_entropy(out, labels)  # mean over the batch
        return loss.detach(), torch.autograd.grad(loss, parameters)

    return loss_and_gradients


@workload.variant("autograd")
def autograd(autograd, x, labels, W1, b1, W2, b2):
    import autograd.numpy as anp

    rows = np.arange(x.shape[0])

    def loss(parameters):
        out = logits(lambda z: anp.maximum(z, np.float32(0.0)), x, *parameters)
        shifted = out - anp.max(out, axis=1, keepdims=True)
        log_probabilities = shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))
        return -anp.mean(log_probabilities[rows, labels])

    loss_and_gradients = autograd.value_and_grad(loss)
    parameters = (W1, b1, W2, b2)
    return lambda: loss_and_gradients(parameters)


@workload.variant("tensorflow")
def tensorflow(tf, x, labels, W1, b1, W2, b2):
    return _gradient_tape_step(tf, x, labels, (W1, b1, W2, b2))
