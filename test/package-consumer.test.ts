/**
 * The package as npm ships it, in a fresh TypeScript project: `npm pack`, `npm install` of the
 * tarball into a scratch folder (dependencies from npm's cache, --prefer-offline), a `tsc --init`
 * tsconfig with `skipLibCheck: false`, then the README's "From code" example type-checked verbatim
 * and run (with fewer steps), a program that only plays a weights file with
 * 'webgpu-rl-engine/policy', and the packaged CLI's first run on a machine without Vulkan.
 *
 * The package is built into the scratch folder, never into dist/, which other test files use.
 * About 15 s alone here (2 shared cores; 30 s within the full suite): the build and the type check
 * take most of it, the install from the cache 3 s, the three runs under a second each.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
let scratch: string;
let consumer: string;
/** tsc's output on the consumer project (empty when it type-checks). */
let typeErrors: string;

/** The first ```ts block of the README's "From code" section. */
function readmeExample(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /^## From code\s+```ts\n([\s\S]*?)```/m.exec(readme);
  if (block === null) throw new Error('README.md has no ```ts block under "## From code"');
  return block[1];
}

/** Builds the package into a staging folder (the files package.json ships, dist/ fresh) and packs it. */
function packPackage(): string {
  const stage = join(scratch, 'package');
  mkdirSync(stage);
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files: string[] };
  for (const entry of ['package.json', 'README.md', ...manifest.files.filter((f) => f !== 'dist')]) {
    cpSync(join(root, entry), join(stage, entry), { recursive: true });
  }
  execFileSync(bin('tsc'), ['-p', join(root, 'tsconfig.build.json'), '--outDir', join(stage, 'dist')], { cwd: root });
  const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], { cwd: stage, encoding: 'utf8' });
  return join(scratch, (JSON.parse(packed) as { filename: string }[])[0].filename);
}

/** Environment of a machine without a Vulkan driver: the loader finds no driver manifest. */
function noVulkan(): Record<string, string> {
  const empty = join(scratch, 'no-icd');
  mkdirSync(empty, { recursive: true });
  return { VK_ICD_FILENAMES: empty, VK_DRIVER_FILES: empty };
}

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, args, { cwd: consumer, encoding: 'utf8', env: { ...process.env, ...env, FORCE_COLOR: '0' }, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A program that only plays a policy: 'webgpu-rl-engine/policy' type-checked strictly (its Policy narrowed by actionSpace) and run. */
const POLICY_EXAMPLE = `import { readFileSync } from 'node:fs';
import { loadPolicy, type Policy } from 'webgpu-rl-engine/policy';

const policy: Policy = loadPolicy(new Uint8Array(readFileSync('weights.npz')), 'weights.npz');
const observation = [0.02, -0.01, 0.03, 0.01];
const action: number | number[] = policy.actionSpace === 'discrete' ? policy.act(observation) : Array.from(policy.act(observation));
console.log(JSON.stringify({ action, obsDim: policy.obsDim, nActions: policy.nActions, q: Array.from(policy.outputs(observation)) }));
`;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'rl-consumer-'));
  const tarball = packPackage();
  consumer = join(scratch, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: consumer, stdio: 'pipe' });
  // A fresh project as TypeScript makes it (strict), checking every .d.ts it uses.
  execFileSync(bin('tsc'), ['--init'], { cwd: consumer, stdio: 'pipe' });
  const tsconfigPath = join(consumer, 'tsconfig.json');
  const tsconfig = readFileSync(tsconfigPath, 'utf8');
  if (!/"strict": true/.test(tsconfig) || !/"skipLibCheck": true/.test(tsconfig)) throw new Error(`unexpected tsc --init output:\n${tsconfig}`);
  writeFileSync(tsconfigPath, tsconfig.replace('"skipLibCheck": true', '"skipLibCheck": false'));
  const example = readmeExample();
  const shortExample = example.replace('steps: 20_000', 'steps: 1_500');
  if (shortExample === example) throw new Error("the README example no longer says 'steps: 20_000'; update this test");
  writeFileSync(join(consumer, 'example.ts'), example);
  writeFileSync(join(consumer, 'policy.ts'), POLICY_EXAMPLE);
  // The project has no @types/node: the one Node function the program reads its file with.
  writeFileSync(join(consumer, 'node-fs.d.ts'), "declare module 'node:fs' { export function readFileSync(path: string): Uint8Array; }\n");
  cpSync(join(root, 'test', 'fixtures', 'numpy-rl-engine-weights.npz'), join(consumer, 'weights.npz'));
  writeFileSync(join(consumer, 'short-example.ts'), shortExample);
  const tsc = spawnSync(bin('tsc'), ['-p', '.'], { cwd: consumer, encoding: 'utf8' });
  typeErrors = tsc.stdout + tsc.stderr;
}, 300_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the packed package in a fresh TypeScript project', () => {
  it('type-checks the README example with strict and skipLibCheck: false', () => {
    expect(typeErrors).toBe('');
    expect(existsSync(join(consumer, 'short-example.js'))).toBe(true);
  });

  it("runs the README example: createBackend('auto') says at most one line of its own on stderr", () => {
    const r = run(['short-example.js']);
    expect(r.status).toBe(0);
    // onEpisode prints `episode return meanReturn100` per episode.
    expect(r.stdout.trim().split('\n').length).toBeGreaterThan(10);
    expect(r.stderr).toMatch(/^(backend auto: [^\n]+\n)?$/);
    expect(r.stderr).not.toMatch(/Warning|artificially/);
  });

  it('runs it on a machine without Vulkan: one line of its own, no Dawn text', () => {
    const r = run(['short-example.js'], noVulkan());
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^backend auto: using the CPU backend because WebGPU is unavailable: no WebGPU adapter[^\n]*\n$/);
  });

  it("plays a weights file with 'webgpu-rl-engine/policy' alone (type-checked above)", () => {
    const r = run(['policy.js']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { action: number; obsDim: number; nActions: number; q: number[] };
    expect(out).toMatchObject({ obsDim: 4, nActions: 2 });
    expect(out.action).toBe(out.q[1] > out.q[0] ? 1 : 0);
  });

  it('the packaged CLI: a first run without Vulkan prints its own words only', () => {
    const cli = join(consumer, 'node_modules', 'webgpu-rl-engine', 'bin', 'train.js');
    const r = run([cli, '--steps', '300', '--learning-starts', '100', '--eval-freq', '0', '--final-eval-episodes', '1', '--no-video'], noVulkan());
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^backend auto: using the CPU backend because WebGPU is unavailable: no WebGPU adapter[^\n]*\n$/);
    expect(r.stdout).toMatch(/backend cpu/);
  });
});
