/**
 * A/B of DqnAgent.update on WebGPU between source trees, interleaved in one process:
 *
 *   tsx bench/ab-update.ts [--rounds 9] [--seconds 0.4] [--hidden 64,64 --hidden 256,256] ROOT_A ROOT_B ...
 *
 * Each ROOT is a checkout of this project (this one is `.`; a baseline can be unpacked with
 * `git archive <commit> | tar -x -C /tmp/base` and a node_modules symlink). Every tree's
 * WebGpuBackend, DqnAgent and replay buffer are imported from that tree and run the default preset
 * (Double DQN, Huber, clipping, Adam, soft target) at batch 64, one submission per update as in
 * training. Blocks of updates alternate between the trees (A B B A ...), so the load of a shared
 * machine hits every tree alike; the figures are medians over the rounds, each ratio the median
 * of the per-round ratios against the first tree.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { workerCpuNs } from './dqn-ops.js';
import { takeOption } from './harness.js';

interface Tree {
  root: string;
  mods: {
    backend: typeof import('../src/backend/webgpu/index.js');
    agent: typeof import('../src/rl/dqn-agent.js');
    config: typeof import('../src/rl/config.js');
    replay: typeof import('../src/rl/replay-buffer.js');
    rng: typeof import('../src/random/rng.js');
  };
}

const args = process.argv.slice(2);
const option = (flag: string, fallback: string): string => takeOption(args, flag, fallback);
const hiddenSizes: number[][] = [];
for (let i = args.indexOf('--hidden'); i >= 0; i = args.indexOf('--hidden')) {
  hiddenSizes.push(args[i + 1].split(',').map(Number));
  args.splice(i, 2);
}
if (hiddenSizes.length === 0) hiddenSizes.push([64, 64], [256, 256]);
const rounds = Number(option('--rounds', '9'));
const secondsPerBlock = Number(option('--seconds', '0.4'));
const roots = args.length > 0 ? args : ['.'];
/**
 * `--env NAME=VALUE`: set in the environment just before the trees after the first create their
 * device, so that the first tree runs without it and the others with it (e.g. a Mesa setting that
 * is read when a Vulkan queue is created).
 */
const envSetting = option('--env', '');
const OBS = 4;
const ACTIONS = 2;

async function load(root: string): Promise<Tree> {
  const url = (p: string): string => pathToFileURL(resolve(root, p)).href;
  return {
    root,
    mods: {
      backend: await import(url('src/backend/webgpu/index.ts')),
      agent: await import(url('src/rl/dqn-agent.ts')),
      config: await import(url('src/rl/config.ts')),
      replay: await import(url('src/rl/replay-buffer.ts')),
      rng: await import(url('src/random/rng.ts')),
    },
  };
}

interface Runner {
  name: string;
  /** Seconds for `n` updates, one submission each, then a wait for the GPU; `lastCpuUs` gets the driver threads' CPU per update. */
  block(n: number): Promise<number>;
  lastCpuUs: number;
  dispatchesPerUpdate(): number;
  dispose(): Promise<void>;
}

async function runner(tree: Tree, hidden: number[]): Promise<Runner> {
  const { backend: bmod, agent: amod, config: cmod, replay: rmod, rng: gmod } = tree.mods;
  const backend = await bmod.WebGpuBackend.create();
  const config = { ...cmod.preset('default'), hidden };
  const agent = new amod.DqnAgent(backend, config, OBS, ACTIONS, new gmod.Rng(0));
  const rng = new gmod.Rng(1);
  const replay = new rmod.ReplayBuffer(4096, OBS);
  const s = new Float32Array(OBS);
  const next = new Float32Array(OBS);
  for (let i = 0; i < replay.capacity; i++) {
    for (let k = 0; k < OBS; k++) {
      s[k] = rng.uniform(-1, 1);
      next[k] = s[k] + rng.uniform(-0.05, 0.05);
    }
    replay.add(s, rng.integers(ACTIONS), 1, next, rng.random() < 0.05);
  }
  const batches = Array.from({ length: 32 }, () => {
    const b = rmod.createMinibatch(config.batchSize, OBS);
    replay.sample(rng, b);
    return b;
  });
  let next_ = 0;
  let updates = 0;
  const stats0 = backend.stats();
  const r: Runner = {
    name: `${tree.root} ${hidden.join('-')}`,
    lastCpuUs: Number.NaN,
    async block(n) {
      const cpu0 = workerCpuNs();
      const start = performance.now();
      for (let i = 0; i < n; i++) {
        agent.update(batches[next_]);
        next_ = (next_ + 1) % batches.length;
        backend.flush();
      }
      await backend.sync();
      updates += n;
      const seconds = (performance.now() - start) / 1000;
      const cpu1 = workerCpuNs();
      r.lastCpuUs = cpu0 === null || cpu1 === null ? Number.NaN : (cpu1 - cpu0) / 1000 / n;
      return seconds;
    },
    dispatchesPerUpdate: () => (backend.stats().dispatches - stats0.dispatches) / updates,
    async dispose() {
      const loss = await agent.readLoss();
      if (!Number.isFinite(loss)) throw new Error(`${tree.root}: loss ${loss}`);
      agent.dispose();
      backend.destroy();
    },
  };
  return r;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const trees = await Promise.all(roots.map(load));
for (const hidden of hiddenSizes) {
  const runners: Runner[] = [];
  const [envName, envValue] = envSetting.split('=');
  for (const [i, t] of trees.entries()) {
    if (envSetting !== '') {
      if (i === 0) delete process.env[envName];
      else process.env[envName] = envValue;
    }
    runners.push(await runner(t, hidden));
  }
  // Warm-up, then the block size from the first tree's rate.
  for (const r of runners) await r.block(20);
  const probe = await runners[0].block(20);
  const perBlock = Math.max(5, Math.round((secondsPerBlock * 20) / probe));
  const rates: number[][] = runners.map(() => []);
  const cpus: number[][] = runners.map(() => []);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? runners.map((_, i) => i) : runners.map((_, i) => runners.length - 1 - i);
    for (const i of order) {
      rates[i].push(perBlock / (await runners[i].block(perBlock)));
      cpus[i].push(runners[i].lastCpuUs);
    }
  }
  console.log(`hidden ${hidden.join('-')}, ${perBlock} updates per block, ${rounds} rounds (medians; driver CPU = lavapipe's threads)`);
  runners.forEach((r, i) => {
    const ratio = median(rates[i].map((x, k) => x / rates[0][k]));
    console.log(
      `  ${r.name.padEnd(40)} ${String(Math.round(median(rates[i]))).padStart(6)} updates/s  x${ratio.toFixed(2)}  driver CPU ${median(cpus[i]).toFixed(0).padStart(6)} us/update  ${r.dispatchesPerUpdate()} dispatches/update  [${rates[i].map(Math.round).join(' ')}]`,
    );
  });
  for (const r of runners) await r.dispose();
}
process.exit(0);
