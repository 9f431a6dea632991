"""Optimizer updates, in place on a Variable's flat array, one pass each. Each update has a
serial kernel and a parallel one (``*_par``) for large arrays."""

import math

from numba import njit, prange

from .cache import kernel


@njit(inline="always")
def _sgd_at(i, W, G, learning_rate):
    W[i] -= learning_rate * G[i]


@njit(inline="always")
def _momentum_at(i, W, G, VELOCITY, learning_rate, momentum):
    # velocity = momentum * velocity - learning_rate * g; w += velocity (Keras's form)
    v = momentum * VELOCITY[i] - learning_rate * G[i]
    VELOCITY[i] = v
    W[i] += v


@njit(inline="always")
def _adam_at(i, W, G, M, V, step_size, beta_1, beta_2, epsilon_hat):
    # Kingma & Ba's update with the bias corrections folded into step_size and epsilon_hat:
    # w -= step_size * m / (sqrt(v) + epsilon_hat)
    g = G[i]
    m = beta_1 * M[i] + (1.0 - beta_1) * g
    v = beta_2 * V[i] + (1.0 - beta_2) * g * g
    M[i] = m
    V[i] = v
    W[i] -= step_size * m / (math.sqrt(v) + epsilon_hat)


@kernel(nogil=True)
def sgd(W, G, learning_rate):
    for i in range(W.size):
        _sgd_at(i, W, G, learning_rate)


@kernel(nogil=True, parallel=True)
def sgd_par(W, G, learning_rate):
    for i in prange(W.size):
        _sgd_at(i, W, G, learning_rate)


@kernel(nogil=True)
def momentum(W, G, VELOCITY, learning_rate, momentum):
    for i in range(W.size):
        _momentum_at(i, W, G, VELOCITY, learning_rate, momentum)


@kernel(nogil=True, parallel=True)
def momentum_par(W, G, VELOCITY, learning_rate, momentum):
    for i in prange(W.size):
        _momentum_at(i, W, G, VELOCITY, learning_rate, momentum)


@kernel(nogil=True)
def adam(W, G, M, V, step_size, beta_1, beta_2, epsilon_hat):
    for i in range(W.size):
        _adam_at(i, W, G, M, V, step_size, beta_1, beta_2, epsilon_hat)


@kernel(nogil=True, parallel=True)
def adam_par(W, G, M, V, step_size, beta_1, beta_2, epsilon_hat):
    for i in prange(W.size):
        _adam_at(i, W, G, M, V, step_size, beta_1, beta_2, epsilon_hat)
