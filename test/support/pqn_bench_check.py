#!/usr/bin/env python3
"""One step of the bench's float32 NumPy PQN update (bench/numpy/pqn_update.py, PqnLearner) against
the float64 reference of the cross-check (test/support/pqn_update_reference.py), for
test/bench-pqn-update.test.ts: the same weights, RAdam state and minibatch, on RAdam's first step
(momentum, clipped) and on step 8 (rectified, clipping on but a no-op at 1000). Prints, per case, the worst
relative error (against each array's largest magnitude) of the loss, the gradient norm, the weights
and the moments after the step.
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench", "numpy"))
from pqn_update import PqnLearner, pqn_shapes  # noqa: E402
from pqn_update_reference import update as reference_update  # noqa: E402

OBS, ACTIONS, HIDDEN, BATCH, LR = 4, 3, [16, 12], 32, 2**-7


def relative(a, b):
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    scale = max(np.max(np.abs(b)), 1e-30)
    return float(np.max(np.abs(a - b)) / scale)


def case(steps_before, max_grad_norm, seed):
    rng = np.random.default_rng(seed)
    shapes = pqn_shapes(OBS, HIDDEN, ACTIONS)
    f32 = lambda shape, lo, hi: rng.uniform(lo, hi, size=shape).astype(np.float32)  # noqa: E731
    weights = [f32(s, 0.5, 1.5) if i < 4 * len(HIDDEN) and i % 4 == 2 else f32(s, -0.8, 0.8) for i, s in enumerate(shapes)]
    first = steps_before == 0
    m = [np.zeros(s, np.float32) if first else f32(s, -0.02, 0.02) for s in shapes]
    v = [np.zeros(s, np.float32) if first else f32(s, 0, 4e-4) for s in shapes]
    s = f32((BATCH, OBS), -2, 2)
    a = rng.integers(0, ACTIONS, size=BATCH)
    returns = f32((BATCH,), 0, 10)

    learner = PqnLearner(OBS, HIDDEN, ACTIONS, BATCH, rng, max_grad_norm=max_grad_norm)
    learner.params.flat[:] = np.concatenate([w.ravel() for w in weights])
    learner.m[:] = np.concatenate([x.ravel() for x in m])
    learner.v[:] = np.concatenate([x.ravel() for x in v])
    learner.steps = steps_before
    learner.update(s, a, returns, LR)

    flat = lambda arrays: [x.ravel().tolist() for x in arrays]  # noqa: E731
    ref = reference_update({
        "network": {"obsDim": OBS, "nActions": ACTIONS, "hidden": HIDDEN},
        "weights": flat(weights),
        "radam": {"step": steps_before, "m": flat(m), "v": flat(v)},
        "batch": {"observations": s.ravel().tolist(), "actions": a.tolist(), "returns": returns.tolist()},
        "config": {"lr": LR, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "maxGradNorm": max_grad_norm, "layerNormEps": 1e-5},
        "rollout": {"steps": 1, "envs": 1, "rewards": [0], "terminated": [0], "truncated": [0], "nextQ": [0] * ACTIONS, "gamma": 0.99, "lambda": 0.65},
    })
    concat = lambda arrays: np.concatenate([np.asarray(x).ravel() for x in arrays])  # noqa: E731
    return {
        "rectified": ref["rectified"],
        "clipped": ref["clipCoefficient"] < 1,
        "loss": relative(learner.read_loss(), ref["loss"]),
        "gradNorm": relative(learner.last_grad_norm, ref["gradNorm"]),
        "weights": relative(learner.params.flat, concat(ref["weights"])),
        "weightChange": relative(learner.params.flat - concat(weights), concat(ref["weights"]) - concat(weights)),
        "m": relative(learner.m, concat(ref["m"])),
        "v": relative(learner.v, concat(ref["v"])),
    }


if __name__ == "__main__":
    json.dump({"first": case(0, 0.5, 1), "rectified": case(7, 1000.0, 2)}, sys.stdout)
