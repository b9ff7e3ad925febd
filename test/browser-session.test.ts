/**
 * The web worker's training session, run in Node on the CPU backend: the request/reply protocol,
 * training in slices with progress events, pause, greedy episodes and the weights round trip,
 * for every algorithm of the registry (DQN and PQN), and weights of one refused by the other.
 */
import { describe, expect, it } from 'vitest';
import { preset, type DqnConfig } from '../src/rl/config.js';
import { DqnTrainer } from '../src/rl/dqn-trainer.js';
import { PQN_CONFIG, pqnPreset, type PqnConfig } from '../src/rl/pqn-config.js';
import { PqnTrainer } from '../src/rl/pqn-trainer.js';
import { evaluateGreedy } from '../src/rl/greedy-evaluation.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { make } from '../src/envs/registry.js';
import { decodeWeightsNpz } from '../src/rl/weights-file.js';
import type { EnvSnapshot, ReplyValues, RequestMessage, WorkerMessage, WorkerRequest } from '../src/web/protocol.js';
import { TrainingSession } from '../src/web/training-session.js';

type Progress = Extract<WorkerMessage, { type: 'progress' }>;

/** A session with a typed request helper and every message it posted. */
function harness() {
  const messages: WorkerMessage[] = [];
  const session = new TrainingSession((m) => messages.push(m), { sliceMs: 5 });
  let nextId = 1;
  async function request<T extends WorkerRequest['type']>(req: Extract<WorkerRequest, { type: T }>): Promise<ReplyValues[T]> {
    const id = nextId++;
    await session.handle({ ...req, id } as RequestMessage);
    const reply = messages.find((m) => m.type === 'reply' && m.id === id);
    if (!reply || reply.type !== 'reply') throw new Error(`no reply to request ${id}`);
    if (!reply.ok) throw new Error(reply.error);
    return reply.value as ReplyValues[T];
  }
  const progress = () => messages.filter((m): m is Progress => m.type === 'progress');
  return { session, messages, request, progress };
}

function smallConfig(): DqnConfig {
  return { ...preset('default'), steps: 600, hidden: [16, 16], batchSize: 16, learningStarts: 100, trainFreq: 10, gradientSteps: 2, evalFreq: 300, evalEpisodes: 2 };
}

/** 8 PQN iterations of 4 envs x 32 steps, 2 epochs of 2 minibatches each, evaluated twice. */
function smallPqnConfig(): PqnConfig {
  return { ...pqnPreset('pqn-cartpole'), steps: 1024, numEnvs: 4, numSteps: 32, numMinibatches: 2, updateEpochs: 2, hidden: [16, 16], evalFreq: 512, evalEpisodes: 2 };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('TrainingSession (the worker side of the page)', () => {
  it('trains to the budget in slices, reporting every episode and evaluation, like the trainer alone', async () => {
    const { session, messages, request, progress } = harness();
    const info = await request({ type: 'configure', backend: 'cpu', algo: 'dqn', config: smallConfig(), seed: 3 });
    // The CPU backend on the WASM kernels (FMA where the runtime has relaxed SIMD).
    expect(info).toEqual({ name: 'cpu', requested: 'cpu', description: expect.stringMatching(/^WebAssembly SIMD128( \+ FMA)?$/), fallbackReason: null });
    await request({ type: 'start' });
    // The canvas asks for env 0's state (CartPole: 4 numbers), answered between two steps while it trains.
    const during = await request({ type: 'env-snapshot' });
    expect(during).toMatchObject({ envId: 'CartPole-v1', state: [expect.any(Number), expect.any(Number), expect.any(Number), expect.any(Number)] });
    await until(() => progress().some((p) => p.counters.done && !p.counters.running), 'the run to finish');
    const events = progress();
    const last = events[events.length - 1].counters;
    expect(last.steps).toBe(600);
    expect(last.updates).toBe((60 - 10) * 2);
    expect(events.length).toBeGreaterThan(2);
    const episodes = events.flatMap((p) => p.episodes);
    expect(episodes.map((e) => e.episode)).toEqual(episodes.map((_, i) => i + 1));
    expect(events.flatMap((p) => p.evaluations).map((e) => e.steps)).toEqual([300, 600]);
    expect((await request({ type: 'env-snapshot' }))?.state.length).toBe(4);
    // The start's phases for the page's status line, and one report of the first step (no GPU pipelines on the CPU).
    expect(messages.filter((m) => m.type === 'status').map((m) => m.text)).toEqual(['setting up the DQN run…', 'first step…']);
    expect(messages.filter((m) => m.type === 'started')).toEqual([{ type: 'started', report: { gpuPipelines: null, kernelsDispatched: null } }]);

    // The same config and seed trained directly give the same episodes: slicing changes nothing.
    const backend = new CpuBackend();
    const direct: number[] = [];
    const trainer = new DqnTrainer(backend, smallConfig(), 3, { onEpisode: (log) => void direct.push(log.return) });
    await trainer.run();
    expect(episodes.map((e) => e.return)).toEqual(direct);
    trainer.dispose();
    backend.destroy();
    await session.dispose();
  });

  it('pauses between steps and resumes where it stopped', async () => {
    const { session, request } = harness();
    await request({ type: 'configure', backend: 'cpu', algo: 'dqn', config: { ...smallConfig(), steps: 100_000 }, seed: 1 });
    await request({ type: 'start' });
    await new Promise((r) => setTimeout(r, 50));
    const paused = await request({ type: 'pause' });
    expect(paused.running).toBe(false);
    expect(paused.steps).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 30));
    const still = await request({ type: 'pause' });
    expect(still.steps).toBe(paused.steps);
    await request({ type: 'start' });
    await new Promise((r) => setTimeout(r, 30));
    expect((await request({ type: 'pause' })).steps).toBeGreaterThan(paused.steps);
    await session.dispose();
  });

  it('plays a greedy episode with its states, and loads downloaded weights into a run of their widths', async () => {
    const { session, request } = harness();
    await request({ type: 'configure', backend: 'cpu', algo: 'dqn', config: smallConfig(), seed: 2 });
    await request({ type: 'start' });
    await new Promise((r) => setTimeout(r, 40));
    const episode = await request({ type: 'greedy-episode', seed: 9 });
    expect(episode.stateSize).toBe(4);
    expect(episode.states.length).toBe((episode.length + 1) * 4);
    expect(episode.return).toBe(episode.length);

    const { bytes, hidden } = await request({ type: 'get-weights' });
    expect(hidden).toEqual([16, 16]);
    // Into a run with other widths: a fresh run of the file's widths is set up, and it plays the same episode.
    await request({ type: 'configure', backend: 'cpu', algo: 'dqn', config: { ...smallConfig(), hidden: [8] }, seed: 2 });
    const loaded = await request({ type: 'load-weights', bytes, fileName: 'w.npz' });
    expect(loaded).toMatchObject({ hidden: [16, 16], restarted: true });
    const again = await request({ type: 'greedy-episode', seed: 9 });
    expect(again.return).toBe(episode.return);
    expect(Array.from(again.states)).toEqual(Array.from(episode.states));

    // The greedy episode is the one evaluateGreedy plays with a fresh env and that seed.
    const backend = new CpuBackend();
    const trainer = new DqnTrainer(backend, smallConfig(), 2);
    trainer.agent.online.setWeights(decodeWeightsNpz(bytes, trainer.agent.online.weightShapes(), 'w.npz'));
    const [ret] = await evaluateGreedy(trainer.agent, make('CartPole-v1'), 1, 9);
    expect(ret).toBe(episode.return);
    trainer.dispose();
    backend.destroy();
    await session.dispose();
  });

  it('answers a bad request with an error reply, not a throw', async () => {
    const { request } = harness();
    await expect(request({ type: 'start' })).rejects.toThrow(/no run configured/);
    await expect(request({ type: 'configure', backend: 'cpu', algo: 'dqn', config: { ...smallConfig(), lr: -1 }, seed: 0 })).rejects.toThrow(/lr must be positive/);
  });

  it('refuses a config that is not the named algorithm\'s, and an unknown algorithm, naming the problem', async () => {
    const { request } = harness();
    // A DQN config sent as PQN's: the first PQN field it lacks is named.
    const wrong = { type: 'configure', backend: 'cpu', algo: 'pqn', config: smallConfig(), seed: 0 } as unknown as WorkerRequest;
    const firstMissing = Object.keys(PQN_CONFIG.fields).find((key) => !(key in smallConfig()));
    expect(firstMissing).toBeDefined();
    await expect(request(wrong)).rejects.toThrow(new RegExp(`^${firstMissing} must .*got missing`));
    const unknown = { type: 'configure', backend: 'cpu', algo: 'sac', config: smallConfig(), seed: 0 } as unknown as WorkerRequest;
    await expect(request(unknown)).rejects.toThrow(/unknown algorithm 'sac'; there are dqn, pqn, ppo/);
  });
});

describe('TrainingSession with PQN', () => {
  it('trains to the budget in slices, with every episode, evaluation and counter, like the trainer alone', async () => {
    const { session, request, progress } = harness();
    await request({ type: 'configure', backend: 'cpu', algo: 'pqn', config: smallPqnConfig(), seed: 4 });
    const first = progress()[progress().length - 1].counters;
    expect(first).toMatchObject({ steps: 0, episodes: 0, updates: 0, running: false, done: false });
    // PQN's epsilon is the next vector step's (after numEnvs env steps of the decay): just under its start.
    expect(first.epsilon).toBeGreaterThan(0.99);
    expect(first.epsilon).toBeLessThan(1);
    await request({ type: 'start' });
    await until(() => progress().some((p) => p.counters.done && !p.counters.running), 'the run to finish');
    const events = progress();
    const last = events[events.length - 1].counters;
    expect(last.steps).toBe(1024);
    // 8 iterations x 2 epochs x 2 minibatches.
    expect(last.updates).toBe(32);
    // Every counter the page shows is a finite number once the run has trained.
    for (const key of ['steps', 'episodes', 'updates', 'epsilon', 'loss', 'meanReturn100', 'stepsPerSecond', 'updatesPerSecond'] as const) {
      expect(Number.isFinite(last[key]), key).toBe(true);
    }
    expect(last.epsilon).toBeGreaterThanOrEqual(0.05);
    expect(last.epsilon).toBeLessThan(1);
    const episodes = events.flatMap((p) => p.episodes);
    expect(episodes.length).toBe(last.episodes);
    expect(episodes.map((e) => e.episode)).toEqual(episodes.map((_, i) => i + 1));
    expect(events.flatMap((p) => p.evaluations).map((e) => e.steps)).toEqual([512, 1024]);
    // The canvas gets env 0's state (CartPole: 4 numbers).
    expect(await request({ type: 'env-snapshot' })).toMatchObject({ envId: 'CartPole-v1', episode: last.episodes + 1 });

    const backend = new CpuBackend();
    const direct: number[] = [];
    const trainer = new PqnTrainer(backend, smallPqnConfig(), 4, { onEpisode: (log) => void direct.push(log.return) });
    await trainer.run();
    expect(episodes.map((e) => e.return)).toEqual(direct);
    expect(trainer.updates).toBe(32);
    trainer.dispose();
    backend.destroy();
    await session.dispose();
  });

  it("trains with envs on the device (envOn 'device'): env 0 drawn from one small read back a request, taken between iterations", async () => {
    const { session, request, progress } = harness();
    // 64 device envs x 8 steps: 10 iterations, no evaluation (its greedy episodes read back per step).
    const config: PqnConfig = { ...smallPqnConfig(), envOn: 'device', numEnvs: 64, numSteps: 8, steps: 5120, evalFreq: 0 };
    await request({ type: 'configure', backend: 'cpu', algo: 'pqn', config, seed: 5 });
    await request({ type: 'start' });
    const snapshots: EnvSnapshot[] = [];
    while (!progress().some((p) => p.counters.done && !p.counters.running)) {
      const snapshot = await request({ type: 'env-snapshot' });
      if (snapshot !== null) snapshots.push(snapshot);
    }
    const last = progress()[progress().length - 1].counters;
    expect(last.steps).toBe(5120);
    expect(last.episodes).toBeGreaterThan(0);
    expect(snapshots.length).toBeGreaterThan(0);
    for (const s of snapshots) {
      expect(s.envId).toBe('CartPole-v1');
      expect(s.state.length).toBe(4);
      // Within CartPole's termination bounds (the envs reset where they pass them).
      expect(Math.abs(s.state[0])).toBeLessThanOrEqual(2.4);
      expect(Math.abs(s.state[2])).toBeLessThanOrEqual(0.21);
      expect(Number.isInteger(s.episodeStep) && s.episodeStep >= 0 && s.episodeStep < 500).toBe(true);
    }
    // Env 0 moves from snapshot to snapshot.
    expect(new Set(snapshots.map((s) => s.state.join(','))).size).toBeGreaterThan(1);
    // Per iteration: one read back of the episode statistics with the loss; plus at most one per
    // snapshot (requests made during an iteration share the one taken at its end), never one per step.
    expect(last.work.readbacks).toBeLessThanOrEqual(10 + snapshots.length);
    expect(last.work.readbacks).toBeGreaterThanOrEqual(10);
    // Paused or done: a request is answered at once, with env 0's state after the last iteration.
    const final = await request({ type: 'env-snapshot' });
    expect(final?.state.length).toBe(4);
    await session.dispose();
  });

  it('loads its own weights file into a PQN run of its widths; a DQN run refuses it (and PQN a DQN file) with the reason, unchanged', async () => {
    const { session, request } = harness();
    await request({ type: 'configure', backend: 'cpu', algo: 'pqn', config: smallPqnConfig(), seed: 2 });
    await request({ type: 'start' });
    await new Promise((r) => setTimeout(r, 40));
    const episode = await request({ type: 'greedy-episode', seed: 9 });
    const pqnWeights = await request({ type: 'get-weights' });
    expect(pqnWeights).toMatchObject({ hidden: [16, 16], algo: 'pqn' });

    await request({ type: 'configure', backend: 'cpu', algo: 'pqn', config: { ...smallPqnConfig(), hidden: [8] }, seed: 2 });
    const loaded = await request({ type: 'load-weights', bytes: pqnWeights.bytes, fileName: 'pqn.npz' });
    // The restarted run's config is the trainer's: envOn 'auto' settled (host on the CPU).
    expect(loaded).toMatchObject({ hidden: [16, 16], restarted: true, run: { algo: 'pqn', config: { ...smallPqnConfig(), envOn: 'host', hidden: [16, 16] } } });
    const again = await request({ type: 'greedy-episode', seed: 9 });
    expect(Array.from(again.states)).toEqual(Array.from(episode.states));

    // Into a DQN run: refused, naming LayerNorm and the algorithm to choose; the DQN run keeps its weights.
    await request({ type: 'configure', backend: 'cpu', algo: 'dqn', config: smallConfig(), seed: 2 });
    const dqnBefore = await request({ type: 'get-weights' });
    expect(dqnBefore.algo).toBe('dqn');
    await expect(request({ type: 'load-weights', bytes: pqnWeights.bytes, fileName: 'pqn.npz' })).rejects.toThrow(
      /^pqn\.npz: dqn cannot train its network: it has LayerNorm layers .*; choose pqn in the Algorithm menu to load it$/,
    );
    const dqnAfter = await request({ type: 'get-weights' });
    expect(dqnAfter.algo).toBe('dqn');
    expect(Array.from(dqnAfter.bytes)).toEqual(Array.from(dqnBefore.bytes));

    // And the reverse: a DQN file into a PQN run.
    await request({ type: 'configure', backend: 'cpu', algo: 'pqn', config: smallPqnConfig(), seed: 2 });
    const pqnBefore = await request({ type: 'get-weights' });
    await expect(request({ type: 'load-weights', bytes: dqnBefore.bytes, fileName: 'dqn.npz' })).rejects.toThrow(
      /^dqn\.npz: pqn cannot train its network: it has no LayerNorm layers .*; choose dqn in the Algorithm menu to load it$/,
    );
    expect(Array.from((await request({ type: 'get-weights' })).bytes)).toEqual(Array.from(pqnBefore.bytes));
    await session.dispose();
  });
});
