/**
 * docs/export.md's examples are the files under docs/examples/, quoted verbatim, and the Node one
 * runs: a DQN the CLI trained and exported plays CartPole-v1 in onnxruntime-node, the return being
 * the one `--mode eval --seed 0` plays with the weights file (the same episode, action for action).
 * The browser page is served as it is in test/browser-export-onnx.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, ensureBuilt, root, runCli } from './support/cli-process.js';

const doc = readFileSync(join(root, 'docs', 'export.md'), 'utf8');
const example = (name: string) => readFileSync(join(root, 'docs', 'examples', name), 'utf8');

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'docs-export-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/export.md', () => {
  it('quotes its examples verbatim, each in a fenced block', () => {
    expect(doc).toContain('```js\n' + example('play-onnx.mjs') + '```');
    expect(doc).toContain('```html\n' + example('onnx-web.html') + '```');
    expect(doc).toContain('ONNXRUNTIME_NODE_INSTALL=skip');
  });

  it("runs the Node example on a model the CLI exported: the return --mode eval plays", () => {
    const trained = runCli(['--backend', 'cpu', '--hidden', '32', '--steps', '15000', '--eval-freq', '0', '--final-eval-episodes', '0', '--no-video', '--out', 'run', '--save', 'dqn.npz'], dir);
    expect(trained.code).toBe(0);
    expect(runCli(['--mode', 'export', '--load', 'dqn.npz', '--export', 'policy.onnx'], dir).code).toBe(0);
    const evaluated = runCli(['--mode', 'eval', '--load', 'dqn.npz', '--backend', 'cpu', '--final-eval-episodes', '1', '--seed', '0', '--no-video'], dir);
    const evalReturn = /^returns: (\d+)$/m.exec(evaluated.stdout)?.[1];
    // The example runs from the repository, where 'webgpu-rl-engine' resolves to this package (dist/).
    const run = spawnSync(process.execPath, [join(root, 'docs', 'examples', 'play-onnx.mjs'), join(dir, 'policy.onnx')], { cwd: root, encoding: 'utf8', env: childEnv(), timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`inputs: observation; outputs: q_values, action\nreturn: ${evalReturn}\n`);
    // A trained policy: the episode is long enough for the match to say something.
    expect(Number(evalReturn)).toBeGreaterThan(50);
  });
});
