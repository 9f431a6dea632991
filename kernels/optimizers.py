"""Optimizer updates of a Variable's flat array W, one pass each, writing the new value into
OUT (which may be W itself: each element is read before it is written). Each update has a
serial kernel and a parallel one (``*_par``) for large arrays."""

import math

from numba import njit, prange

from .cache import kernel


@njit(inline="always")
def _sgd_at(i, W, G, learning_rate, OUT):
    OUT[i] = W[i] - learning_rate * G[i]


@njit(inline="always")
def _momentum_at(i, W, G, VELOCITY, learning_rate, momentum, OUT):
    # velocity = momentum * velocity - learning_rate * g; w += velocity (Keras's form)
    v = momentum * VELOCITY[i] - learning_rate * G[i]
    VELOCITY[i] = v
    OUT[i] = W[i] + v


@njit(inline="always")
def _adam_at(i, W, G, M, V, step_size, beta_1, beta_2, epsilon_hat, OUT):
    # Kingma & Ba's update with the bias corrections folded into step_size and epsilon_hat:
    # w -= step_size * m / (sqrt(v) + epsilon_hat)
    g = G[i]
    m = beta_1 * M[i] + (1.0 - beta_1) * g
    v = beta_2 * V[i] + (1.0 - beta_2) * g * g
    M[i] = m
    V[i] = v
    OUT[i] = W[i] - step_size * m / (math.sqrt(v) + epsilon_hat)


@kernel(nogil=True)
def sgd(W, G, learning_rate, OUT):
    for i in range(W.size):
        _sgd_at(i, W, G, learning_rate, OUT)


@kernel(nogil=True, parallel=True)
def sgd_par(W, G, learning_rate, OUT):
    for i in prange(W.size):
        _sgd_at(i, W, G, learning_rate, OUT)


@kernel(nogil=True)
def momentum(W, G, VELOCITY, learning_rate, momentum, OUT):
    for i in range(W.size):
        _momentum_at(i, W, G, VELOCITY, learning_rate, momentum, OUT)


@kernel(nogil=True, parallel=True)
def momentum_par(W, G, VELOCITY, learning_rate, momentum, OUT):
    for i in prange(W.size):
        _momentum_at(i, W, G, VELOCITY, learning_rate, momentum, OUT)


@kernel(nogil=True)
def adam(W, G, M, V, step_size, beta_1, beta_2, epsilon_hat, OUT):
    for i in range(W.size):
        _adam_at(i, W, G, M, V, step_size, beta_1, beta_2, epsilon_hat, OUT)


@kernel(nogil=True, parallel=True)
def adam_par(W, G, M, V, step_size, beta_1, beta_2, epsilon_hat, OUT):
    for i in prange(W.size):
        _adam_at(i, W, G, M, V, step_size, beta_1, beta_2, epsilon_hat, OUT)
