#!/usr/bin/env python3
"""GAE over a rollout and one PPO minibatch update in float64 NumPy, written from CleanRL's ppo.py and
ppo_continuous_action.py (and PyTorch's definitions of what they call), independently of the engine,
for test/ppo-numpy-crosscheck.test.ts.

Reads one JSON object on stdin, writes one on stdout. Input:
  network:  {"obsDim", "actionDim", "hidden": [..], "head": "categorical" | "gaussian"}
  weights:  flat row-major arrays: the actor's W (in, out), b (1, out) per layer, the critic's
            (its head has 1 output), then log_std (1, actionDim) for a gaussian head.
  adam:     {"step": t (updates taken), "m": [...], "v": [...]} per parameter.
  rollout:  {"steps" T, "envs" N, time-major (T N rows, row t N + n is env n's step t):
             "observations" (T N x obsDim), "actions" (T N, or T N x actionDim), "logProb",
             "values" (V(s_t) when acting), "nextValues" (V of the observation after step t: its
             final observation where the step ended the episode), "rewards", "terminated",
             "truncated"}
  rows:     the minibatch: indices of rollout rows.
  config:   {"gamma", "lambda", "clipCoef", "valueClip" (0 = off), "entCoef", "vfCoef",
             "normalizeAdvantages", "maxGradNorm" (0 = off), "lr", "beta1", "beta2", "eps"}
  probe:    optional; when true only {"logProb": log pi(a_i | s_i) of every rollout row} is returned
            (what the test perturbs into the rollout's old log-probabilities).
Output: advantages and returns (T N), loss, policyLoss, valueLoss, entropy, approxKl, clipFraction,
valueClipFraction (rows where |V - V_old| > valueClip), gradsBeforeClip, gradNorm, clipCoefficient,
grads (after clipping), weights (after the Adam step), m, v, step.

The definitions:
  GAE        CleanRL's backward loop, done = terminated or truncated, with Stable-Baselines3's
             time-limit fix (a truncated, not terminated, step gets reward += gamma V(final obs)).
             CleanRL reads values[t + 1] where the rollout goes on, and next_value after the last
             step; here nextValues[T - 1] is next_value (bootstrapped unless the last step ended).
  networks   h = tanh(x W + b) per hidden layer, a linear head.
  policy     categorical: Categorical(logits=out); gaussian: Normal(out, exp(log_std)), log-prob
             and entropy summed over the action dimensions.
  loss       logratio = logp - old; ratio = exp(logratio); A normalised as
             (A - A.mean()) / (A.std() + 1e-8) (torch's std: ddof 1);
             pg = max(-A ratio, -A clamp(ratio, 1 - c, 1 + c)).mean();
             v = 0.5 ((V - R)^2).mean(), or with value clipping
             0.5 max((V - R)^2, (V_old + clamp(V - V_old, -vc, vc) - R)^2).mean();
             loss = pg - ent_coef entropy.mean() + vf_coef v.
             approx_kl = ((ratio - 1) - logratio).mean(), clipfrac = (|ratio - 1| > c).mean().
  autograd   torch's: maximum sends half the gradient to each side on a tie; clamp passes it where
             lo <= x <= hi.
  clipping   torch.nn.utils.clip_grad_norm_ over every parameter (both networks and log_std):
             g *= min(1, max_norm / (||g||_2 + 1e-6)).
  Adam       torch.optim.Adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
             p -= lr / (1 - b1^t) m / (sqrt(v) / sqrt(1 - b2^t) + eps).
"""
import json
import math
import sys

import numpy as np

HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)


def mlp_shapes(sizes):
    shapes = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        shapes += [(fan_in, fan_out), (1, fan_out)]
    return shapes


def shapes_of(net):
    actor = mlp_shapes([net["obsDim"], *net["hidden"], net["actionDim"]])
    critic = mlp_shapes([net["obsDim"], *net["hidden"], 1])
    log_std = [(1, net["actionDim"])] if net["head"] == "gaussian" else []
    return actor, critic, log_std


def unpack(flat_arrays, shapes):
    if len(flat_arrays) != len(shapes):
        raise ValueError(f"expected {len(shapes)} arrays, got {len(flat_arrays)}")
    return [np.asarray(a, dtype=np.float64).reshape(s) for a, s in zip(flat_arrays, shapes)]


def mlp_forward(params, x):
    """The output, and each layer's input and (hidden) activation for backward."""
    layers = len(params) // 2
    inputs = []
    h = x
    for k in range(layers):
        inputs.append(h)
        z = h @ params[2 * k] + params[2 * k + 1]
        h = np.tanh(z) if k + 1 < layers else z
    return h, inputs


def mlp_backward(params, inputs, grad_out):
    """Gradients of W, b per layer, in parameter order."""
    layers = len(params) // 2
    grads = [None] * len(params)
    g = grad_out
    for k in range(layers - 1, -1, -1):
        grads[2 * k] = inputs[k].T @ g
        grads[2 * k + 1] = g.sum(axis=0, keepdims=True)
        if k > 0:
            # inputs[k] = tanh(z of layer k - 1): d tanh = 1 - tanh^2.
            g = (g @ params[2 * k].T) * (1.0 - inputs[k] ** 2)
    return grads


def gae(ro, cfg):
    steps, envs = ro["steps"], ro["envs"]

    def grid(name):
        return np.asarray(ro[name], dtype=np.float64).reshape(steps, envs)

    rewards, values, next_values = grid("rewards"), grid("values"), grid("nextValues")
    terminated, truncated = grid("terminated") != 0, grid("truncated") != 0
    gamma, lam = cfg["gamma"], cfg["lambda"]
    rewards = rewards + np.where(truncated & ~terminated, gamma * next_values, 0.0)
    done = (terminated | truncated).astype(np.float64)
    advantages = np.zeros((steps, envs))
    lastgaelam = np.zeros(envs)
    for t in reversed(range(steps)):
        # CleanRL's nextnonterminal: 1 - done of the step taken here (its dones[t + 1] / next_done).
        nextnonterminal = 1.0 - done[t]
        nextvalues = next_values[t] if t == steps - 1 else values[t + 1]
        delta = rewards[t] + gamma * nextvalues * nextnonterminal - values[t]
        advantages[t] = lastgaelam = delta + gamma * lam * nextnonterminal * lastgaelam
    return advantages.ravel(), (advantages + values).ravel()


def policy_terms(head, out, log_std, actions):
    """log pi(a | out), the entropy per row, and the pieces of their gradients."""
    if head == "categorical":
        a = actions.astype(np.int64).ravel()
        if a.min() < 0 or a.max() >= out.shape[1]:
            raise ValueError("action index out of range")
        shifted = out - out.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        p = np.exp(log_p)
        rows = np.arange(len(a))
        logp = log_p[rows, a]
        entropy = -(p * log_p).sum(axis=1)
        one_hot = np.zeros_like(out)
        one_hot[rows, a] = 1.0
        return logp, entropy, {"dlogp_dout": one_hot - p, "dent_dout": -p * (log_p + entropy[:, None])}
    std = np.exp(log_std)
    diff = actions - out
    logp = (-(diff**2) / (2 * std**2) - log_std - HALF_LOG_TWO_PI).sum(axis=1)
    entropy = np.full(out.shape[0], (0.5 + HALF_LOG_TWO_PI + log_std).sum())
    return logp, entropy, {"dlogp_dout": diff / std**2, "dlogp_dlogstd": diff**2 / std**2 - 1.0}


def maximum_grads(a, b):
    """torch.maximum's backward: the share of the gradient each side gets."""
    return np.where(a > b, 1.0, np.where(a == b, 0.5, 0.0)), np.where(b > a, 1.0, np.where(a == b, 0.5, 0.0))


def update(req):
    net, cfg, ro = req["network"], req["config"], req["rollout"]
    head = net["head"]
    actor_shapes, critic_shapes, log_std_shapes = shapes_of(net)
    shapes = actor_shapes + critic_shapes + log_std_shapes
    params = unpack(req["weights"], shapes)
    na, nc = len(actor_shapes), len(critic_shapes)
    actor, critic = params[:na], params[na : na + nc]
    log_std = params[na + nc] if head == "gaussian" else None

    n_rows = ro["steps"] * ro["envs"]
    obs = np.asarray(ro["observations"], dtype=np.float64).reshape(n_rows, net["obsDim"])
    act_cols = net["actionDim"] if head == "gaussian" else 1
    actions = np.asarray(ro["actions"], dtype=np.float64).reshape(n_rows, act_cols)
    if req.get("probe"):
        out, _ = mlp_forward(actor, obs)
        return {"logProb": policy_terms(head, out, log_std, actions)[0].tolist()}

    advantages, returns = gae(ro, cfg)

    # The minibatch (CleanRL's b_inds[start:end]).
    rows = np.asarray(req["rows"], dtype=np.int64)
    s, a = obs[rows], actions[rows]
    old_logp = np.asarray(ro["logProb"], dtype=np.float64)[rows]
    old_v = np.asarray(ro["values"], dtype=np.float64)[rows]
    mb_adv, mb_ret = advantages[rows], returns[rows]
    b = len(rows)

    out, actor_inputs = mlp_forward(actor, s)
    value_out, critic_inputs = mlp_forward(critic, s)
    v = value_out[:, 0]
    logp, entropy, d = policy_terms(head, out, log_std, a)
    logratio = logp - old_logp
    ratio = np.exp(logratio)
    approx_kl = ((ratio - 1) - logratio).mean()
    clip_coef = cfg["clipCoef"]
    clip_fraction = (np.abs(ratio - 1.0) > clip_coef).mean()
    if cfg["normalizeAdvantages"]:
        mb_adv = (mb_adv - mb_adv.mean()) / (mb_adv.std(ddof=1) + 1e-8)

    lo, hi = 1 - clip_coef, 1 + clip_coef
    pg1 = -mb_adv * ratio
    pg2 = -mb_adv * np.clip(ratio, lo, hi)
    pg_loss = np.maximum(pg1, pg2).mean()
    s1, s2 = maximum_grads(pg1, pg2)
    inside = (ratio >= lo) & (ratio <= hi)
    dratio = (s1 * -mb_adv + s2 * -mb_adv * inside) / b
    dlogp = dratio * ratio

    vc = cfg["valueClip"]
    unclipped = (v - mb_ret) ** 2
    if vc > 0:
        delta = v - old_v
        v_clipped = old_v + np.clip(delta, -vc, vc)
        clipped = (v_clipped - mb_ret) ** 2
        v_loss = 0.5 * np.maximum(unclipped, clipped).mean()
        su, sc = maximum_grads(unclipped, clipped)
        passes = (delta >= -vc) & (delta <= vc)
        dv = 0.5 / b * (su * 2 * (v - mb_ret) + sc * 2 * (v_clipped - mb_ret) * passes)
        value_clip_fraction = float((np.abs(delta) > vc).mean())
    else:
        v_loss = 0.5 * unclipped.mean()
        dv = (v - mb_ret) / b
        value_clip_fraction = 0.0
    ent_coef, vf_coef = cfg["entCoef"], cfg["vfCoef"]
    entropy_loss = entropy.mean()
    loss = pg_loss - ent_coef * entropy_loss + vf_coef * v_loss

    grad_out = dlogp[:, None] * d["dlogp_dout"]
    if head == "categorical":
        grad_out = grad_out - ent_coef / b * d["dent_dout"]
    grads = mlp_backward(actor, actor_inputs, grad_out) + mlp_backward(critic, critic_inputs, (vf_coef * dv)[:, None])
    if head == "gaussian":
        # d entropy.mean() / d log_std = 1 per action dimension.
        grads.append((dlogp[:, None] * d["dlogp_dlogstd"]).sum(axis=0, keepdims=True) - ent_coef)

    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    coefficient = min(1.0, cfg["maxGradNorm"] / (norm + 1e-6)) if cfg["maxGradNorm"] > 0 else 1.0
    clipped_grads = [g * coefficient for g in grads]

    b1, b2, eps, lr = cfg["beta1"], cfg["beta2"], cfg["eps"], cfg["lr"]
    step = int(req["adam"]["step"]) + 1
    m = [b1 * mi + (1 - b1) * g for mi, g in zip(unpack(req["adam"]["m"], shapes), clipped_grads)]
    vv = [b2 * vi + (1 - b2) * g * g for vi, g in zip(unpack(req["adam"]["v"], shapes), clipped_grads)]
    bc1, bc2 = 1 - b1**step, 1 - b2**step
    new_params = [p - lr / bc1 * mi / (np.sqrt(vi) / math.sqrt(bc2) + eps) for p, mi, vi in zip(params, m, vv)]

    flat = lambda arrays: [x.ravel().tolist() for x in arrays]  # noqa: E731
    return {
        "advantages": advantages.tolist(),
        "returns": returns.tolist(),
        "loss": float(loss),
        "policyLoss": float(pg_loss),
        "valueLoss": float(v_loss),
        "entropy": float(entropy_loss),
        "approxKl": float(approx_kl),
        "clipFraction": float(clip_fraction),
        "valueClipFraction": value_clip_fraction,
        "gradsBeforeClip": flat(grads),
        "gradNorm": norm,
        "clipCoefficient": coefficient,
        "grads": flat(clipped_grads),
        "weights": flat(new_params),
        "m": flat(m),
        "v": flat(vv),
        "step": step,
    }


if __name__ == "__main__":
    json.dump(update(json.load(sys.stdin)), sys.stdout)
