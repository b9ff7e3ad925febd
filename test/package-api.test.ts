/** The package as a user imports it: `import ... from 'webgpu-rl-engine'` (the built dist/, through package.json exports). */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

beforeAll(() => {
  if (!existsSync(resolve(root, 'dist', 'index.js')) || !existsSync(resolve(root, 'dist', 'policy', 'index.js')) || !existsSync(resolve(root, 'dist', 'export', 'index.js'))) execFileSync('npm', ['run', 'build'], { cwd: root });
});

describe("import from 'webgpu-rl-engine'", () => {
  it("runs the README's example: train a little, then ask the agent for Q-values", () => {
    const script = `
      import { createBackend, DqnTrainer, preset, make } from 'webgpu-rl-engine';
      const backend = await createBackend('cpu');
      let episodes = 0;
      const trainer = new DqnTrainer(backend, { ...preset('default'), steps: 1500, evalFreq: 0 }, 0, { onEpisode: () => episodes++ });
      await trainer.run();
      const q = await trainer.agent.qValues(make('CartPole-v1').reset({ seed: 1 })[0]);
      console.log(JSON.stringify({ steps: trainer.steps, episodes, updates: trainer.updates, q: Array.from(q) }));
      backend.destroy();
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { steps: number; episodes: number; updates: number; q: number[] };
    expect(out.steps).toBe(1500);
    expect(out.episodes).toBeGreaterThan(10);
    expect(out.updates).toBe(250); // one update every 2 steps after 1000 warm-up steps
    expect(out.q).toHaveLength(2);
    expect(out.q.every(Number.isFinite)).toBe(true);
  });

  it('trains PPO on a Box env from code: PpoTrainer, ppoPreset, and the greedy policy clipping its mean to the bounds', () => {
    const script = `
      import { createBackend, PpoTrainer, ppoPreset, make } from 'webgpu-rl-engine';
      const backend = await createBackend('cpu');
      const trainer = new PpoTrainer(backend, { ...ppoPreset('ppo-pendulum'), steps: 4096, evalFreq: 0 }, 0);
      await trainer.run();
      const out = await trainer.policy.qValues(make('Pendulum-v1').reset({ seed: 1 })[0]);
      console.log(JSON.stringify({ steps: trainer.steps, head: trainer.agent.head, bounds: Array.from(trainer.policy.actionBounds.high), out: Array.from(out) }));
      trainer.dispose();
      backend.destroy();
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { steps: number; head: string; bounds: number[]; out: number[] };
    expect(out).toMatchObject({ steps: 4096, head: 'gaussian', bounds: [2] });
    expect(out.out).toHaveLength(1);
    expect(Number.isFinite(out.out[0])).toBe(true);
  });

  it('exports checkEnv and assertEnvValid: a built-in env has no errors', () => {
    const script = `
      import { assertEnvValid, checkEnv, make } from 'webgpu-rl-engine';
      assertEnvValid(make('Pendulum-v1'));
      console.log(JSON.stringify(checkEnv(make('CartPole-v1')).map((f) => [f.level, f.method, f.field])));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([['warning', 'step()', 'terminated']]);
  });

  it("exports the Node-only helpers from 'webgpu-rl-engine/node'", () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', "import * as n from 'webgpu-rl-engine/node'; console.log(Object.keys(n).sort().join(','))"], { cwd: root, encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('MetricsCsvAppender,enableRelaxedSimdInNode,loadEnvModule,resolveEnvModule,writeFileAtomic,writeFileAtomicSync');
  });

  it("registers custom envs through the package: register({ entryPoint }), make, adaptEnv, and loadEnvModule from 'webgpu-rl-engine/node'", () => {
    const script = `
      import { adaptEnv, checkEnv, make, register } from 'webgpu-rl-engine';
      import { loadEnvModule } from 'webgpu-rl-engine/node';
      import { writeFileSync, mkdtempSync } from 'node:fs';
      import { join } from 'node:path';
      import { tmpdir } from 'node:os';
      class Coin {
        observationSpace = { shape: [1], low: 0, high: 1 };
        actionSpace = { n: 2 };
        reset() { return [[0], {}]; }
        step(action) { return [[1], action, true, false, {}]; }
      }
      register({ id: 'Coin-v0', entryPoint: Coin, maxEpisodeSteps: 5 });
      const env = make('Coin-v0');
      env.reset({ seed: 0 });
      const dir = mkdtempSync(join(tmpdir(), 'pkg-env-'));
      writeFileSync(join(dir, 'coin.js'), 'export default class { observationSpace = { shape: [1], low: 0, high: 1 }; actionSpace = { n: 2 }; reset() { return [[0], {}]; } step(a) { return [[1], a, true, false, {}]; } }');
      const loaded = await loadEnvModule('./coin.js', { cwd: dir });
      console.log(JSON.stringify({ step: env.step(1).slice(1, 4), adapted: adaptEnv(new Coin()).observationSpace.toString(), checked: checkEnv(make('Coin-v0')).length > 0, loaded: loaded.id, source: loaded.source === join(dir, 'coin.js') }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ step: [1, true, false], adapted: 'Box(0.0, 1.0, (1,), float32)', checked: true, loaded: 'coin', source: true });
  });

  it("exports loadPolicy from 'webgpu-rl-engine/policy': a weights file played without the engine", () => {
    const script = `
      import { readFileSync } from 'node:fs';
      import * as runtime from 'webgpu-rl-engine/policy';
      const policy = runtime.loadPolicy(new Uint8Array(readFileSync('test/fixtures/numpy-rl-engine-weights.npz')), 'numpy-rl-engine-weights.npz');
      console.log(JSON.stringify({ exports: Object.keys(runtime), actionSpace: policy.actionSpace, hidden: policy.network.hidden, action: policy.act([0.1, 0, -0.1, 0]), q: Array.from(policy.outputs([0.1, 0, -0.1, 0])) }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { exports: string[]; actionSpace: string; hidden: number[]; action: number; q: number[] };
    expect(out).toMatchObject({ exports: ['loadPolicy'], actionSpace: 'discrete', hidden: [64, 64] });
    expect(out.q).toHaveLength(2);
    expect(out.action).toBe(out.q[1] > out.q[0] ? 1 : 0);
  });

  it("exports exportOnnx from 'webgpu-rl-engine/export': a weights file as an ONNX model", () => {
    const script = `
      import { readFileSync } from 'node:fs';
      import * as exporter from 'webgpu-rl-engine/export';
      const { model, inputs, outputs } = exporter.buildOnnxExport(new Uint8Array(readFileSync('test/fixtures/numpy-rl-engine-weights.npz')), { fileName: 'numpy-rl-engine-weights.npz' });
      console.log(JSON.stringify({ exports: Object.keys(exporter).sort(), bytes: model.length, inputs: inputs.map((v) => v.name), outputs: outputs.map((v) => v.name) }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { exports: string[]; bytes: number; inputs: string[]; outputs: string[] };
    expect(out).toMatchObject({ exports: ['OBSERVATION_INPUT', 'ONNX_IR_VERSION', 'ONNX_OPSET', 'buildOnnxExport', 'exportOnnx'], inputs: ['observation'], outputs: ['q_values', 'action'] });
    expect(out.bytes).toBeGreaterThan(1000);
  });

  it("runs the CPU backend on the WASM kernels, with FMA once a Node program calls enableRelaxedSimdInNode() from 'webgpu-rl-engine/node'", () => {
    const script = `
      import { CpuBackend } from 'webgpu-rl-engine';
      import { enableRelaxedSimdInNode } from 'webgpu-rl-engine/node';
      const before = new CpuBackend().kernels;
      const enabled = enableRelaxedSimdInNode();
      console.log(JSON.stringify({ before, enabled, after: new CpuBackend().kernels, float64: new CpuBackend({ dtype: 'float64' }).kernels }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { before: string; enabled: boolean; after: string; float64: string };
    // Node 20 has relaxed SIMD only behind V8's flag; later runtimes have it from the start.
    expect(['wasm-simd128', 'wasm-fma']).toContain(out.before);
    expect(out).toMatchObject({ enabled: true, after: 'wasm-fma', float64: 'js' });
  });
});
