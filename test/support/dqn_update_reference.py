#!/usr/bin/env python3
"""One DQN update in float64 NumPy, written independently of the engine, for
test/dqn-numpy-crosscheck.test.ts.

Reads one JSON object on stdin, writes one on stdout. Input:
  network:  {"obsDim", "nActions", "hidden": [..], "dueling": bool}
  online, target: parameter arrays, flat row-major, in this order: W1, b1, W2, b2, ... of the MLP
            (W is (in, out), b is (1, out)); dueling: the trunk's layers (every one ReLU), then
            the value head (W (h, 1), b (1, 1)) and the advantage head (W (h, n), b (1, n)).
  adam:     {"step": t (updates taken), "m": [...], "v": [...]} per parameter.
  batch:    {"observations", "actions", "rewards", "terminated", "nextObservations"} (flat).
  config:   {"gamma", "lr", "beta1", "beta2", "adamEps", "loss": "huber"|"mse", "huberDelta",
             "maxGradNorm" (0 = off), "doubleDqn", "targetUpdate": "soft"|"hard", "tau"}
Output: tdTargets, chosenQ, loss, gradsBeforeClip, gradNorm (before clipping), clipCoefficient,
gradsAfterClip, online (updated), m, v, step, target (after the update's target step: a soft
update blends; a hard target is left alone, the training loop copies it on its own schedule).

The definitions are the textbook / PyTorch ones:
  TD target  y = r + gamma (1 - terminated) Q_target(s', a*), a* = argmax_a Q_target(s', a)
             (Double DQN: a* = argmax_a Q_online(s', a)); first index wins ties.
  dueling    Q = V + A - mean_a A.
  loss       mean over the batch of torch.nn.HuberLoss(delta) or MSELoss at Q(s, a).
  clipping   torch.nn.utils.clip_grad_norm_: g *= min(1, max_norm / (||g||_2 + 1e-6)).
  Adam       torch.optim.Adam: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2,
             p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
  soft       target = target + tau (online - target), with the updated online parameters.
"""
import json
import sys

import numpy as np


def shapes_of(net):
    obs, n, hidden, dueling = net["obsDim"], net["nActions"], net["hidden"], net["dueling"]
    sizes = [obs, *hidden] if dueling else [obs, *hidden, n]
    shapes = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        shapes += [(fan_in, fan_out), (1, fan_out)]
    if dueling:
        h = hidden[-1]
        shapes += [(h, 1), (1, 1), (h, n), (1, n)]
    return shapes


def unpack(flat_arrays, shapes):
    if len(flat_arrays) != len(shapes):
        raise ValueError(f"expected {len(shapes)} arrays, got {len(flat_arrays)}")
    return [np.asarray(a, dtype=np.float64).reshape(s) for a, s in zip(flat_arrays, shapes)]


def dense_stack(params):
    """[(W, b), ...] from a flat parameter list."""
    return [(params[i], params[i + 1]) for i in range(0, len(params), 2)]


def relu(x):
    return np.where(x > 0, x, 0.0)


def mlp_forward(layers, x, relu_on_last):
    """Returns (output, inputs of every layer, pre-activations of every layer)."""
    inputs, pre = [], []
    h = x
    for i, (w, b) in enumerate(layers):
        inputs.append(h)
        z = h @ w + b
        pre.append(z)
        h = relu(z) if (i < len(layers) - 1 or relu_on_last) else z
    return h, inputs, pre


def mlp_backward(layers, inputs, pre, grad_out, relu_on_last):
    """Gradients [(dW, db), ...] and d/d input."""
    grads = [None] * len(layers)
    g = grad_out
    for i in range(len(layers) - 1, -1, -1):
        w, _ = layers[i]
        if i < len(layers) - 1 or relu_on_last:
            g = g * (pre[i] > 0)
        grads[i] = (inputs[i].T @ g, g.sum(axis=0, keepdims=True))
        g = g @ w.T
    return grads, g


class QNet:
    def __init__(self, net, params):
        self.dueling = net["dueling"]
        self.n_trunk = len(net["hidden"]) if self.dueling else len(net["hidden"]) + 1
        self.trunk = dense_stack(params[: 2 * self.n_trunk])
        if self.dueling:
            self.value = [(params[-4], params[-3])]
            self.advantage = [(params[-2], params[-1])]

    def forward(self, x):
        """Q(x, .) and what backward needs."""
        if not self.dueling:
            q, inputs, pre = mlp_forward(self.trunk, x, relu_on_last=False)
            return q, (inputs, pre)
        h, inputs, pre = mlp_forward(self.trunk, x, relu_on_last=True)
        v, v_in, v_pre = mlp_forward(self.value, h, relu_on_last=False)
        a, a_in, a_pre = mlp_forward(self.advantage, h, relu_on_last=False)
        q = v + a - a.mean(axis=1, keepdims=True)
        return q, (inputs, pre, v_in, v_pre, a_in, a_pre)

    def backward(self, cache, grad_q):
        """Flat list of parameter gradients, in parameter order."""
        if not self.dueling:
            grads, _ = mlp_backward(self.trunk, *cache, grad_q, relu_on_last=False)
            return [g for pair in grads for g in pair]
        inputs, pre, v_in, v_pre, a_in, a_pre = cache
        grad_v = grad_q.sum(axis=1, keepdims=True)
        grad_a = grad_q - grad_q.mean(axis=1, keepdims=True)
        gv, dh_v = mlp_backward(self.value, v_in, v_pre, grad_v, relu_on_last=False)
        ga, dh_a = mlp_backward(self.advantage, a_in, a_pre, grad_a, relu_on_last=False)
        gt, _ = mlp_backward(self.trunk, inputs, pre, dh_v + dh_a, relu_on_last=True)
        return [g for pair in gt + gv + ga for g in pair]


def update(req):
    net, cfg, batch = req["network"], req["config"], req["batch"]
    shapes = shapes_of(net)
    online = unpack(req["online"], shapes)
    target = unpack(req["target"], shapes)
    m = unpack(req["adam"]["m"], shapes)
    v = unpack(req["adam"]["v"], shapes)
    step = int(req["adam"]["step"]) + 1

    obs_dim, n_actions = net["obsDim"], net["nActions"]
    s = np.asarray(batch["observations"], dtype=np.float64).reshape(-1, obs_dim)
    s_next = np.asarray(batch["nextObservations"], dtype=np.float64).reshape(-1, obs_dim)
    a = np.asarray(batch["actions"], dtype=np.int64)
    r = np.asarray(batch["rewards"], dtype=np.float64)
    terminated = np.asarray(batch["terminated"], dtype=np.float64)
    rows = np.arange(len(a))
    if a.min() < 0 or a.max() >= n_actions:
        raise ValueError("action index out of range")

    online_net, target_net = QNet(net, online), QNet(net, target)
    q_next_target, _ = target_net.forward(s_next)
    if cfg.get("munchausen", 0) > 0:
        # Munchausen DQN (Vieillard et al. 2020): pi = softmax(Q_target / tau); a bonus
        # alpha * clip(tau * log pi(a|s), -1, 0) and the soft value of s' in place of the max.
        tau, alpha = cfg["munchausenTau"], cfg["munchausen"]

        def log_softmax(z):
            z = z / tau
            z = z - z.max(axis=1, keepdims=True)
            return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

        q_here_target, _ = target_net.forward(s)
        bonus = alpha * np.clip(tau * log_softmax(q_here_target)[rows, a], -1.0, 0.0)
        log_pi_next = log_softmax(q_next_target)
        soft_value = np.sum(np.exp(log_pi_next) * (q_next_target - tau * log_pi_next), axis=1)
        y = r + bonus + cfg["gamma"] * (1.0 - terminated) * soft_value
    else:
        if cfg["doubleDqn"]:
            q_next_online, _ = online_net.forward(s_next)
            a_star = np.argmax(q_next_online, axis=1)
        else:
            a_star = np.argmax(q_next_target, axis=1)
        y = r + cfg["gamma"] * (1.0 - terminated) * q_next_target[rows, a_star]

    q, cache = online_net.forward(s)
    d = q[rows, a] - y
    n = len(a)
    if cfg["loss"] == "huber":
        delta = cfg["huberDelta"]
        quadratic = np.abs(d) < delta
        loss = np.mean(np.where(quadratic, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta)))
        dloss = np.where(quadratic, d, delta * np.sign(d)) / n
    elif cfg["loss"] == "mse":
        loss = np.mean(d * d)
        dloss = 2.0 * d / n
    else:
        raise ValueError(f"unknown loss {cfg['loss']!r}")
    grad_q = np.zeros_like(q)
    grad_q[rows, a] = dloss
    grads = online_net.backward(cache, grad_q)

    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    coefficient = 1.0
    if cfg["maxGradNorm"] > 0:
        coefficient = min(1.0, cfg["maxGradNorm"] / (norm + 1e-6))
    clipped = [g * coefficient for g in grads]

    b1, b2, eps, lr = cfg["beta1"], cfg["beta2"], cfg["adamEps"], cfg["lr"]
    new_m = [b1 * mi + (1 - b1) * g for mi, g in zip(m, clipped)]
    new_v = [b2 * vi + (1 - b2) * g * g for vi, g in zip(v, clipped)]
    new_online = [
        p - lr * (mi / (1 - b1**step)) / (np.sqrt(vi / (1 - b2**step)) + eps) for p, mi, vi in zip(online, new_m, new_v)
    ]
    if cfg["targetUpdate"] == "soft":
        new_target = [t + cfg["tau"] * (p - t) for t, p in zip(target, new_online)]
    elif cfg["targetUpdate"] == "hard":
        new_target = target
    else:
        raise ValueError(f"unknown target update {cfg['targetUpdate']!r}")

    flat = lambda arrays: [x.ravel().tolist() for x in arrays]  # noqa: E731
    return {
        "tdTargets": y.tolist(),
        "chosenQ": q[rows, a].tolist(),
        "loss": float(loss),
        "gradsBeforeClip": flat(grads),
        "gradNorm": norm,
        "clipCoefficient": coefficient,
        "gradsAfterClip": flat(clipped),
        "online": flat(new_online),
        "m": flat(new_m),
        "v": flat(new_v),
        "step": step,
        "target": flat(new_target),
    }


if __name__ == "__main__":
    json.dump(update(json.load(sys.stdin)), sys.stdout)
