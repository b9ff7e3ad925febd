#!/usr/bin/env python3
"""GAE over a rollout in float64 NumPy, written as CleanRL's ppo.py writes it, with SB3's time-limit
fix, for test/gae.test.ts. Independent of the engine.

Reads one JSON object on stdin, writes one on stdout. Input (every (T, N) array flat, time-major):
  steps T, envs N, gamma, lambda
  rewards      (T, N) the env's rewards
  values       (T, N) V(obs_t), the critic's value of the observation step t acted on
  lastValues   (N,)   V(next_obs) after the rollout's last step (CleanRL's next_value)
  finalValues  (T, N) V(final_obs) of each step that ended its episode (read where truncated only)
  terminated, truncated (T, N) flags
Output: {"advantages": (T N), "returns": (T N)}.

CleanRL's loop (ppo.py), with dones[t] the done flag of the observation step t acted on (an episode
start: the step before it ended an episode) and next_done the last step's:
  for t in reversed(range(T)):
      if t == T - 1: nextnonterminal = 1 - next_done; nextvalues = next_value
      else:          nextnonterminal = 1 - dones[t + 1]; nextvalues = values[t + 1]
      delta = rewards[t] + gamma * nextvalues * nextnonterminal - values[t]
      advantages[t] = lastgaelam = delta + gamma * gae_lambda * nextnonterminal * lastgaelam
  returns = advantages + values
done = terminated or truncated (CleanRL's np.logical_or), and, as SB3's on-policy collection does
for a TimeLimit truncation, rewards[t] += gamma * V(final_obs) where a step was truncated and not
terminated.
"""
import json
import sys

import numpy as np

a = json.load(sys.stdin)
T, N = a["steps"], a["envs"]
gamma, lam = a["gamma"], a["lambda"]


def grid(name):
    return np.array(a[name], dtype=np.float64).reshape(T, N)


rewards = grid("rewards")
values = grid("values")
final_values = grid("finalValues")
terminated = grid("terminated") != 0
truncated = grid("truncated") != 0
next_value = np.array(a["lastValues"], dtype=np.float64)

# SB3's fix: a truncation (not a termination) bootstraps through its reward.
rewards = rewards + np.where(truncated & ~terminated, gamma * final_values, 0.0)
step_done = np.logical_or(terminated, truncated).astype(np.float64)
# CleanRL's dones[t]: whether the observation of step t starts an episode (the step before ended one).
dones = np.zeros((T, N))
dones[1:] = step_done[:-1]
next_done = step_done[T - 1]

advantages = np.zeros((T, N))
lastgaelam = np.zeros(N)
for t in reversed(range(T)):
    if t == T - 1:
        nextnonterminal = 1.0 - next_done
        nextvalues = next_value
    else:
        nextnonterminal = 1.0 - dones[t + 1]
        nextvalues = values[t + 1]
    delta = rewards[t] + gamma * nextvalues * nextnonterminal - values[t]
    advantages[t] = lastgaelam = delta + gamma * lam * nextnonterminal * lastgaelam
returns = advantages + values

json.dump({"advantages": advantages.reshape(-1).tolist(), "returns": returns.reshape(-1).tolist()}, sys.stdout)
