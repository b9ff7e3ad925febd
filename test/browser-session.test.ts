/**
 * The web worker's training session, run in Node on the CPU backend: the request/reply protocol,
 * training in slices with progress events, pause, greedy episodes and the weights round trip.
 */
import { describe, expect, it } from 'vitest';
import { preset, type DqnConfig } from '../src/rl/config.js';
import { DqnTrainer } from '../src/rl/dqn-trainer.js';
import { evaluateGreedy } from '../src/rl/greedy-evaluation.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { make } from '../src/envs/registry.js';
import { decodeWeightsNpz } from '../src/rl/weights-file.js';
import type { ReplyValues, RequestMessage, WorkerMessage, WorkerRequest } from '../src/web/protocol.js';
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

async function until(condition: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('TrainingSession (the worker side of the page)', () => {
  it('trains to the budget in slices, reporting every episode and evaluation, like the trainer alone', async () => {
    const { session, request, progress } = harness();
    const info = await request({ type: 'configure', backend: 'cpu', config: smallConfig(), seed: 3 });
    // The CPU backend on the WASM kernels (FMA where the runtime has relaxed SIMD).
    expect(info).toEqual({ name: 'cpu', requested: 'cpu', description: expect.stringMatching(/^WebAssembly SIMD128( \+ FMA)?$/), fallbackReason: null });
    await request({ type: 'start' });
    await until(() => progress().some((p) => p.counters.done && !p.counters.running), 'the run to finish');
    const events = progress();
    const last = events[events.length - 1].counters;
    expect(last.steps).toBe(600);
    expect(last.updates).toBe((60 - 10) * 2);
    expect(events.length).toBeGreaterThan(2);
    const episodes = events.flatMap((p) => p.episodes);
    expect(episodes.map((e) => e.episode)).toEqual(episodes.map((_, i) => i + 1));
    expect(events.flatMap((p) => p.evaluations).map((e) => e.steps)).toEqual([300, 600]);
    expect(events.some((p) => p.snapshot !== null && p.snapshot.state.length === 4)).toBe(true);

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
    await request({ type: 'configure', backend: 'cpu', config: { ...smallConfig(), steps: 100_000 }, seed: 1 });
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
    await request({ type: 'configure', backend: 'cpu', config: smallConfig(), seed: 2 });
    await request({ type: 'start' });
    await new Promise((r) => setTimeout(r, 40));
    const episode = await request({ type: 'greedy-episode', seed: 9 });
    expect(episode.stateSize).toBe(4);
    expect(episode.states.length).toBe((episode.length + 1) * 4);
    expect(episode.return).toBe(episode.length);

    const { bytes, hidden } = await request({ type: 'get-weights' });
    expect(hidden).toEqual([16, 16]);
    // Into a run with other widths: a fresh run of the file's widths is set up, and it plays the same episode.
    await request({ type: 'configure', backend: 'cpu', config: { ...smallConfig(), hidden: [8] }, seed: 2 });
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
    await expect(request({ type: 'configure', backend: 'cpu', config: { ...smallConfig(), lr: -1 }, seed: 0 })).rejects.toThrow(/lr must be positive/);
  });
});
