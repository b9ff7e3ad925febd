#!/usr/bin/env python3
"""DQN on CartPole-v1 in plain Python + NumPy with the engine's `default` preset settings, for the
end-to-end timing in bench/suites/train-e2e.ts (issue 10: the whole training process against a
plain Python + NumPy implementation of the same settings).

Settings (src/rl/config.ts, preset `default`): MLP 4-64-64-2, ReLU, torch's default init, Double
DQN, Huber (delta 1), global gradient-norm clipping at 10, Adam lr 1e-3 (eps 1e-8), gamma 0.99,
batch 64, replay buffer 50k (uniform with replacement), 1000 env steps before the first update, one
update every 2 env steps, soft target update tau 0.01 after every update, epsilon 1 -> 0.05
linearly over the first 20% of 50k steps, a greedy evaluation of 10 episodes every 2500 steps
keeping the best weights (ties go to the later), then a final greedy evaluation of 100 episodes
of the kept weights. The loop follows the engine's DqnTrainer: act, step, store (only
`terminated`: a time-limit truncation still bootstraps), train, episode end, evaluation.

CartPole-v1 is written here from Gymnasium's physics (Euler, tau 0.02, float64 state, float32
observations, reward 1 per step, termination at |x| > 2.4 or |theta| > 12 degrees, truncation at
500 steps); resets draw U(-0.05, 0.05)^4 from numpy.random.default_rng(seed) as Gymnasium does.

  python3 bench/numpy/train_cartpole.py [--seed 0] [--steps 50000] [--final-eval-episodes 100] [--settings default|rl-zoo]
prints one JSON object: the final greedy result and the timings. `--settings rl-zoo` runs RL-Zoo's
CartPole-v1 DQN settings with Stable-Baselines3's loop semantics instead (see SETTINGS).
"""
from __future__ import annotations

import time

PROCESS_START = time.perf_counter()

import os  # noqa: E402

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dqn_numpy import F32, DqnLearner  # noqa: E402

# The engine's `default` preset (src/rl/config.ts), and for comparison the RL-Zoo CartPole-v1 DQN
# settings run with Stable-Baselines3's loop semantics (docs/sb3-semantics.md): vanilla DQN, uniform
# random actions before learning starts, a hard target copy every 10 env steps made before that
# step's gradient steps, no periodic evaluation (the final weights are judged).
SETTINGS = {
    "default": dict(
        hidden=[64, 64], lr=1e-3, batch=64, buffer=50_000, learning_starts=1000, train_freq=2, gradient_steps=1,
        double_dqn=True, max_grad_norm=10.0, soft_tau=0.01, hard_interval=0, eps_end=0.05, exploration_fraction=0.2,
        random_warmup=False, eval_freq=2500,
    ),
    "rl-zoo": dict(
        hidden=[256, 256], lr=2.3e-3, batch=64, buffer=100_000, learning_starts=1000, train_freq=256, gradient_steps=128,
        double_dqn=False, max_grad_norm=10.0, soft_tau=0.0, hard_interval=10, eps_end=0.04, exploration_fraction=0.16,
        random_warmup=True, eval_freq=0,
    ),
}
GAMMA = 0.99
EPS_START = 1.0
EVAL_EPISODES = 10
SOLVED = 475.0


class CartPole:
    """CartPole-v1 with its 500-step time limit (Gymnasium's physics)."""

    GRAVITY, MASSCART, MASSPOLE, LENGTH, FORCE_MAG, TAU = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
    TOTAL_MASS = MASSPOLE + MASSCART
    POLEMASS_LENGTH = MASSPOLE * LENGTH
    THETA_THRESHOLD = 12 * 2 * math.pi / 360
    X_THRESHOLD = 2.4
    MAX_STEPS = 500
    obs_dim, n_actions = 4, 2

    def __init__(self):
        self.np_random: np.random.Generator | None = None
        self.state = (0.0, 0.0, 0.0, 0.0)
        self.elapsed = 0

    def reset(self, seed: int | None = None) -> np.ndarray:
        if seed is not None or self.np_random is None:
            self.np_random = np.random.default_rng(seed)
        self.state = tuple(float(v) for v in self.np_random.uniform(-0.05, 0.05, size=4))
        self.elapsed = 0
        return np.array(self.state, dtype=F32)

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool]:
        x, x_dot, theta, theta_dot = self.state
        force = self.FORCE_MAG if action == 1 else -self.FORCE_MAG
        costheta, sintheta = math.cos(theta), math.sin(theta)
        temp = (force + self.POLEMASS_LENGTH * theta_dot * theta_dot * sintheta) / self.TOTAL_MASS
        thetaacc = (self.GRAVITY * sintheta - costheta * temp) / (self.LENGTH * (4.0 / 3.0 - self.MASSPOLE * costheta * costheta / self.TOTAL_MASS))
        xacc = temp - self.POLEMASS_LENGTH * thetaacc * costheta / self.TOTAL_MASS
        x, x_dot = x + self.TAU * x_dot, x_dot + self.TAU * xacc
        theta, theta_dot = theta + self.TAU * theta_dot, theta_dot + self.TAU * thetaacc
        self.state = (x, x_dot, theta, theta_dot)
        terminated = x < -self.X_THRESHOLD or x > self.X_THRESHOLD or theta < -self.THETA_THRESHOLD or theta > self.THETA_THRESHOLD
        self.elapsed += 1
        return np.array(self.state, dtype=F32), 1.0, terminated, self.elapsed >= self.MAX_STEPS


class Replay:
    """Ring buffer of (s, a, r, s', terminated), sampled uniformly with replacement."""

    def __init__(self, capacity: int, obs_dim: int):
        self.s = np.zeros((capacity, obs_dim), dtype=F32)
        self.s_next = np.zeros((capacity, obs_dim), dtype=F32)
        self.a = np.zeros(capacity, dtype=np.int64)
        self.r = np.zeros(capacity, dtype=F32)
        self.terminated = np.zeros(capacity, dtype=F32)
        self.capacity, self.size, self.next = capacity, 0, 0

    def add(self, s, a, r, s_next, terminated) -> None:
        i = self.next
        self.s[i], self.a[i], self.r[i], self.s_next[i], self.terminated[i] = s, a, r, s_next, terminated
        self.next = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, rng: np.random.Generator, n: int):
        idx = rng.integers(0, self.size, size=n)
        return self.s[idx], self.a[idx], self.r[idx], self.s_next[idx], self.terminated[idx]


def evaluate(learner: DqnLearner, env: CartPole, episodes: int, seed: int | None) -> list[float]:
    returns = []
    for e in range(episodes):
        obs = env.reset(seed if e == 0 else None)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated = env.step(learner.greedy_action(obs))
            total += reward
            done = terminated or truncated
        returns.append(total)
    return returns


def train(seed: int, steps: int, final_eval_episodes: int, settings: str = "default") -> dict:
    cfg = SETTINGS[settings]
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    env = CartPole()
    learner = DqnLearner(
        [env.obs_dim, *cfg["hidden"], env.n_actions], cfg["batch"], rng, gamma=GAMMA, lr=cfg["lr"], loss="huber", huber_delta=1.0,
        max_grad_norm=cfg["max_grad_norm"], double_dqn=cfg["double_dqn"], tau=cfg["soft_tau"],
    )
    replay = Replay(cfg["buffer"], env.obs_dim)
    decay_steps = cfg["exploration_fraction"] * steps
    learning_starts, train_freq, hard_interval, eval_freq = cfg["learning_starts"], cfg["train_freq"], cfg["hard_interval"], cfg["eval_freq"]
    eval_env: CartPole | None = None
    best_mean, best_weights, best_steps = -math.inf, None, 0
    episode_returns: list[float] = []
    episode_return, updates, evaluations = 0.0, 0, []

    obs = env.reset(seed)
    for step in range(steps):
        progress = step / decay_steps
        epsilon = cfg["eps_end"] if progress >= 1 else EPS_START + (cfg["eps_end"] - EPS_START) * progress
        if cfg["random_warmup"] and step < learning_starts:
            epsilon = 1.0
        action = int(rng.integers(env.n_actions)) if rng.random() < epsilon else learner.greedy_action(obs)
        next_obs, reward, terminated, truncated = env.step(action)
        taken = step + 1
        episode_return += reward
        replay.add(obs, action, reward, next_obs, terminated)
        obs = next_obs
        if hard_interval and taken % hard_interval == 0:
            learner.target.flat[:] = learner.online.flat
        if taken > learning_starts and taken % train_freq == 0:
            for _ in range(cfg["gradient_steps"]):
                learner.update(*replay.sample(rng, cfg["batch"]))
                updates += 1
        if terminated or truncated:
            episode_returns.append(episode_return)
            episode_return = 0.0
            obs = env.reset()
        if eval_freq and taken % eval_freq == 0:
            first = eval_env is None
            eval_env = eval_env or CartPole()
            returns = evaluate(learner, eval_env, EVAL_EPISODES, seed + 1_000_003 if first else None)
            mean = float(np.mean(returns))
            evaluations.append({"steps": taken, "mean": mean})
            if mean >= best_mean:
                best_mean, best_weights, best_steps = mean, learner.online.flat.copy(), taken
    train_seconds = time.perf_counter() - started

    if best_weights is not None:
        learner.online.flat[:] = best_weights
    eval_started = time.perf_counter()
    final = evaluate(learner, CartPole(), final_eval_episodes, seed + 10_000) if final_eval_episodes > 0 else []
    eval_seconds = time.perf_counter() - eval_started
    result = {
        "settings": settings,
        "seed": seed,
        "steps": steps,
        "episodes": len(episode_returns),
        "updates": updates,
        "meanReturnLast100": float(np.mean(episode_returns[-100:])) if episode_returns else None,
        "lastLoss": learner.read_loss(),
        "bestEvaluation": {"steps": best_steps, "mean": best_mean} if best_weights is not None else None,
        "evaluations": evaluations,
        "trainSeconds": round(train_seconds, 3),
        "finalEvalSeconds": round(eval_seconds, 3),
    }
    if final:
        result["final"] = {"episodes": len(final), "mean": float(np.mean(final)), "std": float(np.std(final)), "min": min(final), "max": max(final), "solved": bool(np.mean(final) >= SOLVED)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=50_000)
    parser.add_argument("--final-eval-episodes", type=int, default=100)
    parser.add_argument("--settings", choices=sorted(SETTINGS), default="default", help="the engine's default preset, or RL-Zoo's CartPole DQN with SB3's loop semantics")
    args = parser.parse_args()
    result = train(args.seed, args.steps, args.final_eval_episodes, args.settings)
    result["numpy"] = np.__version__
    result["processSeconds"] = round(time.perf_counter() - PROCESS_START, 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
