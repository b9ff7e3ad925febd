#!/usr/bin/env python3
"""One PQN update and one Q(lambda) returns computation in float64 NumPy, written independently of
the engine, for test/pqn-numpy-crosscheck.test.ts.

Reads one JSON object on stdin, writes one on stdout. Input:
  network:  {"obsDim", "nActions", "hidden": [..]}
  weights:  flat row-major arrays, per hidden layer W (in, out), b (1, out), LayerNorm gamma (1, out),
            beta (1, out); then the head's W (h, nActions), b (1, nActions).
  radam:    {"step": t (updates taken), "m": [...], "v": [...]} per parameter.
  batch:    {"observations", "actions", "returns"} (flat).
  config:   {"lr", "beta1", "beta2", "eps", "maxGradNorm" (0 = off), "layerNormEps"}
  rollout:  {"steps" T, "envs" N, "rewards", "terminated", "truncated" (T N, time-major),
             "nextQ" (T N x nActions), "gamma", "lambda"}
Output: loss, gradsBeforeClip, gradNorm, clipCoefficient, weights (updated), m, v, step,
rectified (whether RAdam's adaptive step applied), returns (T N).

The definitions are PyTorch's and CleanRL's pqn.py:
  network    per hidden layer: z = h W + b, LayerNorm (biased variance), ReLU; head linear.
  loss       F.mse_loss(returns, Q(s, a)) = mean over the minibatch of (Q(s, a) - G)^2.
  clipping   torch.nn.utils.clip_grad_norm_: g *= min(1, max_norm / (||g||_2 + 1e-6)).
  RAdam      torch.optim.RAdam (no weight decay): m, v as Adam; rho_inf = 2 / (1 - b2) - 1,
             rho_t = rho_inf - 2 t b2^t / (1 - b2^t); if rho_t > 5,
             p -= lr m / (1 - b1^t) * r_t sqrt(1 - b2^t) / (sqrt(v) + eps) with
             r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)),
             else p -= lr m / (1 - b1^t).
  returns    Q(lambda) with Gymnasium time limits, backwards over t for each env, V_t = max_a nextQ:
             terminated: G = r; truncated or t = T - 1: G = r + gamma V_t;
             otherwise G = r + gamma (lambda G[t + 1] + (1 - lambda) V_t).
"""
import json
import sys

import numpy as np


def shapes_of(net):
    sizes = [net["obsDim"], *net["hidden"]]
    shapes = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        shapes += [(fan_in, fan_out), (1, fan_out), (1, fan_out), (1, fan_out)]
    shapes += [(sizes[-1], net["nActions"]), (1, net["nActions"])]
    return shapes


def unpack(flat_arrays, shapes):
    if len(flat_arrays) != len(shapes):
        raise ValueError(f"expected {len(shapes)} arrays, got {len(flat_arrays)}")
    return [np.asarray(a, dtype=np.float64).reshape(s) for a, s in zip(flat_arrays, shapes)]


def forward(params, n_hidden, x, ln_eps):
    """Q(x, .) and, per hidden layer, what backward needs."""
    caches = []
    h = x
    for k in range(n_hidden):
        w, b, gamma, beta = params[4 * k : 4 * k + 4]
        z = h @ w + b
        mean = z.mean(axis=1, keepdims=True)
        var = ((z - mean) ** 2).mean(axis=1, keepdims=True)
        rstd = 1.0 / np.sqrt(var + ln_eps)
        xhat = (z - mean) * rstd
        y = xhat * gamma + beta
        caches.append((h, xhat, rstd, y))
        h = np.maximum(y, 0.0)
    w, b = params[4 * n_hidden], params[4 * n_hidden + 1]
    return h @ w + b, caches, h


def backward(params, n_hidden, caches, head_input, grad_q):
    """Parameter gradients in parameter order."""
    w_head = params[4 * n_hidden]
    grads = [None] * len(params)
    grads[4 * n_hidden] = head_input.T @ grad_q
    grads[4 * n_hidden + 1] = grad_q.sum(axis=0, keepdims=True)
    g = grad_q @ w_head.T
    for k in range(n_hidden - 1, -1, -1):
        w, _, gamma, _ = params[4 * k : 4 * k + 4]
        h, xhat, rstd, y = caches[k]
        g = g * (y > 0)  # ReLU
        grads[4 * k + 2] = (g * xhat).sum(axis=0, keepdims=True)
        grads[4 * k + 3] = g.sum(axis=0, keepdims=True)
        gx = g * gamma
        n = gx.shape[1]
        # d/dz of LayerNorm: rstd (gx - mean(gx) - xhat mean(gx xhat)).
        dz = rstd * (gx - gx.sum(axis=1, keepdims=True) / n - xhat * (gx * xhat).sum(axis=1, keepdims=True) / n)
        grads[4 * k] = h.T @ dz
        grads[4 * k + 1] = dz.sum(axis=0, keepdims=True)
        g = dz @ w.T
    return grads


def radam(params, grads, m, v, step, cfg):
    b1, b2, eps, lr = cfg["beta1"], cfg["beta2"], cfg["eps"], cfg["lr"]
    new_m = [b1 * mi + (1 - b1) * g for mi, g in zip(m, grads)]
    new_v = [b2 * vi + (1 - b2) * g * g for vi, g in zip(v, grads)]
    c1, c2 = 1 - b1**step, 1 - b2**step
    rho_inf = 2 / (1 - b2) - 1
    rho = rho_inf - 2 * step * b2**step / c2
    rectified = rho > 5
    out = []
    for p, mi, vi in zip(params, new_m, new_v):
        if rectified:
            r = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            out.append(p - lr * (mi / c1) * r * np.sqrt(c2) / (np.sqrt(vi) + eps))
        else:
            out.append(p - lr * mi / c1)
    return out, new_m, new_v, bool(rectified)


def q_lambda_returns(ro, n_actions):
    steps, envs = ro["steps"], ro["envs"]
    r = np.asarray(ro["rewards"], dtype=np.float64).reshape(steps, envs)
    term = np.asarray(ro["terminated"], dtype=np.float64).reshape(steps, envs) != 0
    trunc = np.asarray(ro["truncated"], dtype=np.float64).reshape(steps, envs) != 0
    values = np.asarray(ro["nextQ"], dtype=np.float64).reshape(steps, envs, n_actions).max(axis=2)
    gamma, lam = ro["gamma"], ro["lambda"]
    g = np.zeros((steps, envs))
    for t in range(steps - 1, -1, -1):
        cut = trunc[t] | (t == steps - 1)
        later = g[t + 1] if t + 1 < steps else np.zeros(envs)
        bootstrap = np.where(cut, values[t], lam * later + (1 - lam) * values[t])
        g[t] = r[t] + gamma * np.where(term[t], 0.0, bootstrap)
    return g.ravel()


def update(req):
    net, cfg, batch = req["network"], req["config"], req["batch"]
    shapes = shapes_of(net)
    params = unpack(req["weights"], shapes)
    m = unpack(req["radam"]["m"], shapes)
    v = unpack(req["radam"]["v"], shapes)
    step = int(req["radam"]["step"]) + 1
    n_hidden = len(net["hidden"])

    s = np.asarray(batch["observations"], dtype=np.float64).reshape(-1, net["obsDim"])
    a = np.asarray(batch["actions"], dtype=np.int64)
    returns = np.asarray(batch["returns"], dtype=np.float64)
    if a.min() < 0 or a.max() >= net["nActions"]:
        raise ValueError("action index out of range")
    rows = np.arange(len(a))

    q, caches, head_input = forward(params, n_hidden, s, cfg["layerNormEps"])
    d = q[rows, a] - returns
    loss = np.mean(d * d)
    grad_q = np.zeros_like(q)
    grad_q[rows, a] = 2.0 * d / len(a)
    grads = backward(params, n_hidden, caches, head_input, grad_q)

    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    coefficient = min(1.0, cfg["maxGradNorm"] / (norm + 1e-6)) if cfg["maxGradNorm"] > 0 else 1.0
    new_params, new_m, new_v, rectified = radam(params, [g * coefficient for g in grads], m, v, step, cfg)

    flat = lambda arrays: [x.ravel().tolist() for x in arrays]  # noqa: E731
    return {
        "loss": float(loss),
        "gradsBeforeClip": flat(grads),
        "gradNorm": norm,
        "clipCoefficient": coefficient,
        "weights": flat(new_params),
        "m": flat(new_m),
        "v": flat(new_v),
        "step": step,
        "rectified": rectified,
        "returns": q_lambda_returns(req["rollout"], net["nActions"]).tolist(),
    }


if __name__ == "__main__":
    json.dump(update(json.load(sys.stdin)), sys.stdout)
