#!/usr/bin/env python3
"""Updates per second of one DQN update in vectorised float32 NumPy, on one thread.

The update is issue 10's: target forward on s', TD target r + gamma (1 - terminated) max Q_target(s'),
online forward on s, Huber loss at the chosen actions (mean over the batch, PyTorch HuberLoss
delta 1), backward, Adam (torch semantics, lr 1e-3), soft target update (tau 0.01). No Double DQN,
no clipping. MLPs 4-64-64-2 and 4-256-256-2 with ReLU, batch 64, random minibatches prepared
beforehand.

  python3 bench/numpy/dqn_update.py [--hidden 64,64 --hidden 256,256] [--repeats 7] [--seconds 0.3]
      prints one JSON object: updates/s per network (median over repeats), NumPy version, BLAS.
  python3 bench/numpy/dqn_update.py --serve
      answers JSON requests on stdin, one a line, for bench/suites/dqn-update.ts, which interleaves
      them with its own measurements:
        {"hidden": [64, 64], "updates": 500}  ->  {"hidden": [64, 64], "updates": 500, "seconds": ...}
        {"hidden": [64, 64], "updates": 500, "fresh": true}  ->  the same, in the fresh regime below
        {"info": true}                        ->  {"numpy": ..., "blas": ..., "threads": ...}
      A network is built (and warmed up) on its first request and reused after.

Regimes. By default (continued) a network keeps training across every request, as the figures in
the README were measured. Adam's first moments of parameters whose gradients vanish (dead ReLU
units) then decay (x 0.9 a step) into float32's subnormal range: at 4-256-256-2, about 45 % of them
are subnormal after 1000 updates and still after 10000 (counted on 2026-12-07), and the issue that
added the fresh regime saw NumPy run about 2x slower there. With "fresh": true, the network (online and target) and Adam's state are
restored, untimed, to their initial values before the timed updates, so every block runs on live
gradients; bench/suites/dqn-update.ts asks for it with BENCH_DQN_REGIME=fresh or both.
"""
from __future__ import annotations

import os

# One thread, whatever the caller set up (the bench runner sets these too). Must precede the import.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dqn_numpy import F32, DqnLearner  # noqa: E402

OBS_DIM = 4
N_ACTIONS = 2
BATCH = 64
PREPARED_BATCHES = 64
WARMUP_UPDATES = 200


class Bench:
    """One network and its prepared minibatches; run(n) times n consecutive updates."""

    def __init__(self, hidden: list[int], seed: int = 0):
        rng = np.random.default_rng(seed)
        self.hidden = hidden
        self.learner = DqnLearner([OBS_DIM, *hidden, N_ACTIONS], BATCH, rng, gamma=0.99, lr=1e-3, loss="huber", huber_delta=1.0, max_grad_norm=0.0, double_dqn=False, tau=0.01)
        scale = np.array([1.0, 1.0, 0.1, 1.0], dtype=F32)
        self.batches = []
        for _ in range(PREPARED_BATCHES):
            s = (rng.standard_normal((BATCH, OBS_DIM)) * scale).astype(F32)
            s_next = (s + rng.standard_normal((BATCH, OBS_DIM)).astype(F32) * F32(0.05)).astype(F32)
            a = rng.integers(0, N_ACTIONS, size=BATCH)
            r = np.ones(BATCH, dtype=F32)
            terminated = (rng.random(BATCH) < 0.05).astype(F32)
            self.batches.append((s, a, r, s_next, terminated))
        self.next = 0
        self.initial = (self.learner.online.flat.copy(), self.learner.target.flat.copy())
        self.run(WARMUP_UPDATES)

    def reset(self) -> None:
        """The initial online and target networks, and a fresh Adam state (step 0, zero moments)."""
        learner = self.learner
        learner.online.flat[:] = self.initial[0]
        learner.target.flat[:] = self.initial[1]
        learner.m.fill(0)
        learner.v.fill(0)
        learner.steps = 0

    def run(self, updates: int, fresh: bool = False) -> float:
        """Seconds for `updates` consecutive updates (from the initial state when `fresh`)."""
        if fresh:
            self.reset()
        learner, batches, k = self.learner, self.batches, len(self.batches)
        i = self.next
        start = time.perf_counter()
        for _ in range(updates):
            learner.update(*batches[i])
            i = (i + 1) % k
        seconds = time.perf_counter() - start
        self.next = i
        if not np.isfinite(learner.read_loss()):
            raise RuntimeError("the NumPy DQN update diverged (non-finite loss)")
        return seconds


def blas_info() -> dict:
    try:
        config = np.show_config(mode="dicts")
        blas = config.get("Build Dependencies", {}).get("blas", {})
        return {"name": blas.get("name"), "version": blas.get("version"), "openblasConfiguration": blas.get("openblas configuration")}
    except Exception as error:  # older NumPy: no mode="dicts"
        return {"error": str(error)}


def info() -> dict:
    return {
        "numpy": np.__version__,
        "python": platform.python_version(),
        "blas": blas_info(),
        "threads": {v: os.environ.get(v) for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")},
    }


def serve() -> None:
    benches: dict[tuple[int | bool, ...], Bench] = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        if request.get("info"):
            reply = info()
        else:
            hidden = [int(h) for h in request["hidden"]]
            fresh = bool(request.get("fresh", False))
            key = (*hidden, fresh)  # one network per regime: a fresh request must not reset a continued one
            if key not in benches:
                benches[key] = Bench(hidden)
            updates = int(request["updates"])
            reply = {"hidden": hidden, "updates": updates, "seconds": benches[key].run(updates, fresh)}
            if fresh:
                reply["fresh"] = True
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
    return {**info(), "batch": BATCH, "update": "target fwd s', TD target, online fwd s, Huber(1), backward, Adam 1e-3, soft target tau 0.01", "networks": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve", action="store_true", help="answer JSON requests on stdin (see the module docstring)")
    parser.add_argument("--hidden", action="append", help="hidden widths, comma-separated (repeatable; default 64,64 and 256,256)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.3, help="seconds per repeat")
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    hidden_list = [[int(h) for h in spec.split(",")] for spec in (args.hidden or ["64,64", "256,256"])]
    print(json.dumps(standalone(hidden_list, args.repeats, args.seconds), indent=2))


if __name__ == "__main__":
    main()
