#!/usr/bin/env python3
"""Updates per second of one PQN minibatch step in vectorised float32 NumPy, on one thread.

The step is PqnAgent.update's (src/rl/pqn-agent.ts; CleanRL's pqn.py): forward of a Q-network whose
hidden layers are Dense -> LayerNorm (eps 1e-5, biased variance, as torch) -> ReLU and whose head is
linear, MSE of Q(s, a) against the given returns (F.mse_loss: mean over the minibatch), backward,
clipping by global norm at 10 (torch.nn.utils.clip_grad_norm_), RAdam (torch.optim.RAdam: betas
0.9, 0.999, eps 1e-8, no weight decay) at a fixed learning rate. Networks 4-256-256-2 and CleanRL's
4-120-84-2, batch 128; minibatches prepared beforehand (observations U(-2, 2), random actions,
returns U(0, 10)).

Regime: fresh. Each timed block starts from the network's initial weights and a zeroed RAdam state
(restored untimed before the block), and the returns are random, so the loss cannot fall and the
gradients and RAdam moments stay far from float32's subnormal range (a reused network that has
converged can slow NumPy down by a factor of 2 on subnormal moments, see dqn_update.py). The engine
side (bench/suites/pqn-update.ts) measures the same regime.

The math is test/support/pqn_update_reference.py's (float64, per-parameter arrays), written again
here the way a tuned NumPy implementation would be: float32, preallocated buffers, every parameter,
gradient and RAdam moment in one flat arena, so clipping and RAdam are a handful of calls over the
whole network. test/bench-pqn-update.test.ts checks one step of it against that reference.

  python3 bench/numpy/pqn_update.py [--hidden 256,256 --hidden 120,84] [--repeats 7] [--seconds 0.3]
      prints one JSON object: updates/s per network (median over repeats), NumPy version, BLAS.
  python3 bench/numpy/pqn_update.py --serve
      answers JSON requests on stdin, one a line, for bench/suites/pqn-update.ts, which interleaves
      them with its own measurements:
        {"hidden": [256, 256], "updates": 500}  ->  {"hidden": [256, 256], "updates": 500, "seconds": ..., "loss": ...}
        {"info": true}                          ->  {"numpy": ..., "blas": ..., "threads": ...}
      A network is built (and warmed up) on its first request; every request then times `updates`
      steps from its initial state (the fresh regime above).
"""
from __future__ import annotations

import os

# One thread, whatever the caller set up (the bench runner sets these too). Must precede the import.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dqn_numpy import F32, Arena, clip_global_norm, update_moments  # noqa: E402
from dqn_update import info  # noqa: E402

OBS_DIM = 4
N_ACTIONS = 2
BATCH = 128
LR = 2.5e-4
MAX_GRAD_NORM = 10.0
LAYER_NORM_EPS = 1e-5
PREPARED_BATCHES = 64
WARMUP_UPDATES = 200


def pqn_shapes(obs_dim: int, hidden: list[int], n_actions: int) -> list[tuple[int, ...]]:
    """The weights file's order: per hidden layer W (in, out), b, gamma, beta (out,); the head's W, b."""
    shapes: list[tuple[int, ...]] = []
    sizes = [obs_dim, *hidden]
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        shapes += [(fan_in, fan_out), (fan_out,), (fan_out,), (fan_out,)]
    return shapes + [(sizes[-1], n_actions), (n_actions,)]


class PqnLearner:
    """A Q-network with LayerNorm, its RAdam state (torch semantics) and one PQN minibatch step."""

    def __init__(
        self,
        obs_dim: int,
        hidden: list[int],
        n_actions: int,
        batch: int,
        rng: np.random.Generator,
        *,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        max_grad_norm: float = MAX_GRAD_NORM,
        layer_norm_eps: float = LAYER_NORM_EPS,
    ):
        shapes = pqn_shapes(obs_dim, hidden, n_actions)
        self.n_hidden = len(hidden)
        self.batch = batch
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.max_grad_norm = max_grad_norm
        self.ln_eps = F32(layer_norm_eps)
        self.params = Arena([], shapes)
        self.grads = Arena([], shapes)
        views = self.params.views
        # torch defaults: Linear W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)); LayerNorm gamma 1, beta 0.
        for k in range(self.n_hidden + 1):
            w, b = views[4 * k], views[4 * k + 1]
            bound = 1.0 / math.sqrt(w.shape[0])
            w[...] = rng.uniform(-bound, bound, size=w.shape)
            b[...] = rng.uniform(-bound, bound, size=b.shape)
            if k < self.n_hidden:
                views[4 * k + 2][...] = 1
        self.m = np.zeros_like(self.params.flat)
        self.v = np.zeros_like(self.params.flat)
        self.scratch = np.zeros_like(self.params.flat)
        self.steps = 0
        self.initial = self.params.flat.copy()
        # Per hidden layer: xhat (the normalised pre-activation), y = xhat gamma + beta, h = ReLU(y), 1/std.
        self.xhat = [np.zeros((batch, n), dtype=F32) for n in hidden]
        self.y = [np.zeros((batch, n), dtype=F32) for n in hidden]
        self.h = [np.zeros((batch, n), dtype=F32) for n in hidden]
        self.work = [np.zeros((batch, n), dtype=F32) for n in hidden]
        self.rstd = [np.zeros((batch, 1), dtype=F32) for _ in hidden]
        self.rows = np.arange(batch)
        self.grad_q = np.zeros((batch, n_actions), dtype=F32)
        self.last_diff = np.zeros(batch, dtype=F32)
        self.last_grad_norm = float("nan")

    def reset(self) -> None:
        """Back to the initial weights with a fresh RAdam state (step 0, zero moments)."""
        self.params.flat[:] = self.initial
        self.m.fill(0)
        self.v.fill(0)
        self.steps = 0

    def update(self, s: np.ndarray, a: np.ndarray, returns: np.ndarray, lr: float) -> None:
        """One step. s: (B, obs) float32; a: (B,) int; returns: (B,) float32."""
        p, g_views, n_hidden = self.params.views, self.grads.views, self.n_hidden
        rows, n = self.rows, self.batch
        x = s
        for k in range(n_hidden):
            w, b, gamma, beta = p[4 * k : 4 * k + 4]
            z, work, y = self.xhat[k], self.work[k], self.y[k]
            np.matmul(x, w, out=z)
            z += b
            z -= z.mean(axis=1, keepdims=True)
            np.multiply(z, z, out=work)
            var = work.mean(axis=1, keepdims=True)
            var += self.ln_eps
            rstd = self.rstd[k]
            np.sqrt(var, out=rstd)
            np.reciprocal(rstd, out=rstd)
            z *= rstd  # z is now xhat
            np.multiply(z, gamma, out=y)
            y += beta
            np.maximum(y, 0, out=self.h[k])
            x = self.h[k]
        w_head, b_head = p[4 * n_hidden], p[4 * n_hidden + 1]
        q = x @ w_head
        q += b_head
        diff = q[rows, a] - returns
        self.last_diff = diff
        grad_q = self.grad_q
        grad_q.fill(0)
        grad_q[rows, a] = diff * F32(2 / n)

        # Backward into the flat gradient arena.
        np.matmul(x.T, grad_q, out=g_views[4 * n_hidden])
        np.sum(grad_q, axis=0, out=g_views[4 * n_hidden + 1])
        g = grad_q @ w_head.T
        for k in range(n_hidden - 1, -1, -1):
            w, _, gamma, _ = p[4 * k : 4 * k + 4]
            xhat, work = self.xhat[k], self.work[k]
            g *= self.y[k] > 0  # ReLU
            np.multiply(g, xhat, out=work)
            np.sum(work, axis=0, out=g_views[4 * k + 2])  # dgamma
            np.sum(g, axis=0, out=g_views[4 * k + 3])  # dbeta
            g *= gamma  # gx = dL/dxhat
            # d/dz of LayerNorm: rstd (gx - mean(gx) - xhat mean(gx xhat)).
            np.multiply(g, xhat, out=work)
            proj = work.mean(axis=1, keepdims=True)
            g -= g.mean(axis=1, keepdims=True)
            np.multiply(xhat, proj, out=work)
            g -= work
            g *= self.rstd[k]
            np.matmul(self.h[k - 1].T if k > 0 else s.T, g, out=g_views[4 * k])
            np.sum(g, axis=0, out=g_views[4 * k + 1])
            if k > 0:
                g = g @ w.T

        grad = self.grads.flat
        if self.max_grad_norm > 0:
            self.last_grad_norm = clip_global_norm(grad, self.max_grad_norm)

        # RAdam (torch.optim.RAdam): Adam's moments; the rectified adaptive step once rho_t > 5, else momentum.
        self.steps += 1
        t = self.steps
        b1, b2 = self.beta1, self.beta2
        m, v, tmp = self.m, self.v, self.scratch
        update_moments(m, v, grad, tmp, b1, b2)
        c1, c2 = 1 - b1**t, 1 - b2**t
        rho_inf = 2 / (1 - b2) - 1
        rho = rho_inf - 2 * t * b2**t / c2
        if rho > 5:
            r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            np.sqrt(v, out=tmp)
            tmp += F32(self.eps)
            np.divide(m, tmp, out=tmp)
            tmp *= F32(lr * r * math.sqrt(c2) / c1)
        else:
            np.multiply(m, F32(lr / c1), out=tmp)
        self.params.flat -= tmp

    def read_loss(self) -> float:
        """The loss of the latest step (computed lazily, as the engine reads its loss only when asked)."""
        return float(np.mean(self.last_diff * self.last_diff))


class Bench:
    """One network and its prepared minibatches; run(n) times n steps from the initial state."""

    def __init__(self, hidden: list[int], seed: int = 0):
        rng = np.random.default_rng(seed)
        self.hidden = hidden
        self.learner = PqnLearner(OBS_DIM, hidden, N_ACTIONS, BATCH, rng)
        self.batches = []
        for _ in range(PREPARED_BATCHES):
            s = rng.uniform(-2, 2, size=(BATCH, OBS_DIM)).astype(F32)
            a = rng.integers(0, N_ACTIONS, size=BATCH)
            returns = rng.uniform(0, 10, size=BATCH).astype(F32)
            self.batches.append((s, a, returns))
        self.next = 0
        self.run(WARMUP_UPDATES)

    def run(self, updates: int) -> float:
        """Seconds for `updates` consecutive steps from the initial weights and a fresh RAdam state."""
        learner, batches, k = self.learner, self.batches, len(self.batches)
        learner.reset()
        i = self.next
        start = time.perf_counter()
        for _ in range(updates):
            learner.update(*batches[i], LR)
            i = (i + 1) % k
        seconds = time.perf_counter() - start
        self.next = i
        if not np.isfinite(learner.read_loss()):
            raise RuntimeError("the NumPy PQN update diverged (non-finite loss)")
        return seconds


def serve() -> None:
    benches: dict[tuple[int, ...], Bench] = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        if request.get("info"):
            reply = info()
        else:
            hidden = [int(h) for h in request["hidden"]]
            key = tuple(hidden)
            if key not in benches:
                benches[key] = Bench(hidden)
            updates = int(request["updates"])
            seconds = benches[key].run(updates)
            reply = {"hidden": hidden, "updates": updates, "seconds": seconds, "loss": benches[key].learner.read_loss()}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


def standalone(hidden_list: list[list[int]], repeats: int, seconds: float) -> dict:
    results = {}
    for hidden in hidden_list:
        bench = Bench(hidden)
        # Updates per repeat: about `seconds` worth, from a short calibration.
        probe = 50
        per_update = bench.run(probe) / probe
        updates = max(10, int(seconds / per_update))
        rates = [updates / bench.run(updates) for _ in range(repeats)]
        results["-".join(str(n) for n in [OBS_DIM, *hidden, N_ACTIONS])] = {
            "updatesPerSecond": round(statistics.median(rates), 1),
            "min": round(min(rates), 1),
            "max": round(max(rates), 1),
            "updatesPerRepeat": updates,
            "repeats": repeats,
        }
    return {
        **info(),
        "batch": BATCH,
        "update": "PQN: fwd (Dense, LayerNorm, ReLU), MSE vs returns, backward, clip 10, RAdam lr 2.5e-4; fresh network per repeat",
        "networks": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve", action="store_true", help="answer JSON requests on stdin (see the module docstring)")
    parser.add_argument("--hidden", action="append", help="hidden widths, comma-separated (repeatable; default 256,256 and 120,84)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.3, help="seconds per repeat")
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    hidden_list = [[int(h) for h in spec.split(",")] for spec in (args.hidden or ["256,256", "120,84"])]
    print(json.dumps(standalone(hidden_list, args.repeats, args.seconds), indent=2))


if __name__ == "__main__":
    main()
