"""A vectorised float32 NumPy DQN: MLP Q-network, one gradient update, greedy Q for acting.

Written for this project's benchmarks (bench/numpy/dqn_update.py, bench/numpy/train_cartpole.py) as
an independent reference of what a competent NumPy implementation costs. It does not read the
engine's code. Layout follows the engine's weight files: W is (in, out), b is (out,).

Every parameter lives in one flat float32 arena (and so does every gradient, Adam moment and target
parameter): Adam, clipping and the soft target update are a handful of NumPy calls over the whole
network, not a handful per tensor. This is how a tuned NumPy DQN would be written, so the engine is
measured against a strong baseline.
"""
from __future__ import annotations

import math

import numpy as np

F32 = np.float32


class Arena:
    """One flat float32 array viewed as a list of (in, out) weight matrices and (out,) biases.

    `shapes`, when given, lays out other parameter lists the same way (PQN's adds LayerNorm's gamma
    and beta per hidden layer: bench/numpy/pqn_update.py); layers() then does not apply.
    """

    def __init__(self, sizes: list[int], shapes: list[tuple[int, ...]] | None = None):
        self.shapes: list[tuple[int, ...]] = []
        if shapes is not None:
            self.shapes = list(shapes)
        else:
            for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
                self.shapes += [(fan_in, fan_out), (fan_out,)]
        self.flat = np.zeros(sum(math.prod(s) for s in self.shapes), dtype=F32)
        self.views: list[np.ndarray] = []
        offset = 0
        for shape in self.shapes:
            n = math.prod(shape)
            self.views.append(self.flat[offset : offset + n].reshape(shape))
            offset += n

    def layers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return list(zip(self.views[0::2], self.views[1::2]))


def torch_default_init(arena: Arena, rng: np.random.Generator) -> None:
    """torch.nn.Linear's default: W and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    for w, b in arena.layers():
        bound = 1.0 / math.sqrt(w.shape[0])
        w[...] = rng.uniform(-bound, bound, size=w.shape)
        b[...] = rng.uniform(-bound, bound, size=b.shape)


def q_values(layers: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray) -> np.ndarray:
    """Q(x, .) of an MLP with ReLU hidden layers and a linear head (no activations kept)."""
    h = x
    last = len(layers) - 1
    for i, (w, b) in enumerate(layers):
        h = h @ w
        h += b
        if i < last:
            np.maximum(h, 0, out=h)
    return h


def clip_global_norm(grad: np.ndarray, max_norm: float) -> float:
    """torch.nn.utils.clip_grad_norm_ in place over a flat gradient: scales it by max_norm / (norm + 1e-6) when that is below 1; returns the norm."""
    norm = math.sqrt(float(np.dot(grad, grad)))
    coefficient = max_norm / (norm + 1e-6)
    if coefficient < 1:
        grad *= F32(coefficient)
    return norm


def update_moments(m: np.ndarray, v: np.ndarray, grad: np.ndarray, tmp: np.ndarray, b1: float, b2: float) -> None:
    """Adam's (and RAdam's) moments in place, float32: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2 (tmp is scratch)."""
    m *= F32(b1)
    np.multiply(grad, F32(1 - b1), out=tmp)
    m += tmp
    v *= F32(b2)
    np.multiply(grad, grad, out=tmp)
    tmp *= F32(1 - b2)
    v += tmp


class DqnLearner:
    """Online and target networks, Adam (torch semantics) and one DQN update.

    update(): target forward on s', TD target r + gamma (1 - terminated) max_a' Q_target(s', a')
    (Double DQN: Q_target(s', argmax_a' Q_online(s', a'))), online forward on s, Huber (PyTorch
    HuberLoss, delta) or MSE at the chosen actions (mean over the batch), backward, optional
    global-norm clipping (torch.nn.utils.clip_grad_norm_), Adam, soft target update (tau > 0).
    """

    def __init__(
        self,
        sizes: list[int],
        batch: int,
        rng: np.random.Generator,
        *,
        gamma: float = 0.99,
        lr: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        adam_eps: float = 1e-8,
        loss: str = "huber",
        huber_delta: float = 1.0,
        max_grad_norm: float = 0.0,
        double_dqn: bool = False,
        tau: float = 0.01,
    ):
        if loss not in ("huber", "mse"):
            raise ValueError(f"loss must be 'huber' or 'mse', got {loss!r}")
        self.sizes = list(sizes)
        self.batch = batch
        self.gamma = F32(gamma)
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.adam_eps = adam_eps
        self.loss_kind = loss
        self.huber_delta = F32(huber_delta)
        self.max_grad_norm = max_grad_norm
        self.double_dqn = double_dqn
        self.tau = F32(tau)

        self.online = Arena(sizes)
        torch_default_init(self.online, rng)
        self.target = Arena(sizes)
        self.target.flat[:] = self.online.flat
        self.grad = Arena(sizes)
        self.m = np.zeros_like(self.online.flat)
        self.v = np.zeros_like(self.online.flat)
        self.scratch = np.zeros_like(self.online.flat)
        self.steps = 0
        self.online_layers = self.online.layers()
        self.target_layers = self.target.layers()
        self.grad_layers = self.grad.layers()
        self.rows = np.arange(batch)
        self.grad_q = np.zeros((batch, sizes[-1]), dtype=F32)
        self.last_loss_values = np.zeros(batch, dtype=F32)
        self.last_grad_norm = float("nan")

    def greedy_action(self, observation: np.ndarray) -> int:
        return int(np.argmax(q_values(self.online_layers, observation[None, :])[0]))

    def update(self, s: np.ndarray, a: np.ndarray, r: np.ndarray, s_next: np.ndarray, terminated: np.ndarray) -> None:
        """One gradient step. s, s_next: (B, obs) float32; a: (B,) int; r, terminated: (B,) float32."""
        rows = self.rows
        # TD target (no gradient flows through it).
        q_next = q_values(self.target_layers, s_next)
        if self.double_dqn:
            best = np.argmax(q_values(self.online_layers, s_next), axis=1)
            next_value = q_next[rows, best]
        else:
            next_value = q_next.max(axis=1)
        td_target = r + self.gamma * (1 - terminated) * next_value

        # Online forward on s, keeping the hidden activations for the backward pass.
        activations = [s]
        h = s
        last = len(self.online_layers) - 1
        for i, (w, b) in enumerate(self.online_layers):
            h = h @ w
            h += b
            if i < last:
                np.maximum(h, 0, out=h)
                activations.append(h)
        diff = h[rows, a] - td_target

        # Loss at the chosen actions, mean over the batch; its gradient is zero at the other actions.
        n = self.batch
        if self.loss_kind == "huber":
            delta = self.huber_delta
            abs_diff = np.abs(diff)
            self.last_loss_values = np.where(abs_diff <= delta, F32(0.5) * diff * diff, delta * (abs_diff - F32(0.5) * delta))
            grad_chosen = np.clip(diff, -delta, delta) / F32(n)
        else:
            self.last_loss_values = diff * diff
            grad_chosen = F32(2) * diff / F32(n)
        grad_q = self.grad_q
        grad_q.fill(0)
        grad_q[rows, a] = grad_chosen

        # Backward through every layer into the flat gradient arena.
        g = grad_q
        for i in range(last, -1, -1):
            w, _ = self.online_layers[i]
            gw, gb = self.grad_layers[i]
            np.matmul(activations[i].T, g, out=gw)
            np.sum(g, axis=0, out=gb)
            if i > 0:
                g = g @ w.T
                g *= activations[i] > 0

        grad = self.grad.flat
        if self.max_grad_norm > 0:
            self.last_grad_norm = clip_global_norm(grad, self.max_grad_norm)

        # Adam (torch.optim.Adam): p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
        self.steps += 1
        t = self.steps
        b1, b2 = self.beta1, self.beta2
        m, v, tmp = self.m, self.v, self.scratch
        update_moments(m, v, grad, tmp, b1, b2)
        np.sqrt(v, out=tmp)
        tmp *= F32(1 / math.sqrt(1 - b2**t))
        tmp += F32(self.adam_eps)
        np.divide(m, tmp, out=tmp)
        tmp *= F32(self.lr / (1 - b1**t))
        self.online.flat -= tmp

        # Soft target update: target += tau (online - target).
        if self.tau > 0:
            np.subtract(self.online.flat, self.target.flat, out=tmp)
            tmp *= self.tau
            self.target.flat += tmp

    def read_loss(self) -> float:
        """The loss of the latest update (computed lazily, as the engine reads its loss only when asked)."""
        return float(np.mean(self.last_loss_values))
