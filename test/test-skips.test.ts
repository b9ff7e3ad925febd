/**
 * What `npm test` does on a machine without a WebGPU adapter or Chromium, for real: vitest run in
 * a child process on two gated test files, with Vulkan pointed at an empty driver folder and
 * CHROMIUM_PATH at nothing. Without CI the tests are skipped and the run ends with one line that
 * counts them and names the install command; with CI=true the same files fail.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const noIcd = mkdtempSync(join(tmpdir(), 'no-icd-'));
afterAll(() => rmSync(noIcd, { recursive: true, force: true }));

/** vitest on one WebGPU-gated and one Chromium-gated file, on a machine that has neither. */
function runGatedFiles(ci: boolean) {
  const env: Record<string, string | undefined> = { ...process.env, VK_ICD_FILENAMES: noIcd, VK_DRIVER_FILES: noIcd, CHROMIUM_PATH: join(noIcd, 'chromium'), FORCE_COLOR: '0', CI: 'true' };
  if (!ci) delete env.CI;
  for (const name of Object.keys(env)) if (name.startsWith('VITEST')) delete env[name];
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'test/webgpu-training.test.ts', 'test/io-browser.test.ts'], {
    cwd: root,
    encoding: 'utf8',
    env,
    timeout: 120_000,
  });
  return { status: r.status, output: r.stdout + r.stderr };
}

describe('npm test without a WebGPU adapter or Chromium', () => {
  it('skips those tests and ends with one line counting them and naming the install command', () => {
    const r = runGatedFiles(false);
    expect(r.status).toBe(0);
    const lines = r.output.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^SKIPPED \d+ WebGPU tests \(no WebGPU adapter\) and 1 browser test \(no Chromium\): `\.ci\/install-system-deps` \(as root\) installs/);
    expect(lines.filter((line) => line.startsWith('SKIPPED'))).toHaveLength(1);
    expect(r.output).not.toMatch(/Warning|\.cpp/); // nor any of Dawn's text
  });

  it('fails them instead with CI=true', () => {
    const r = runGatedFiles(true);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/CI=true but no WebGPU adapter: Dawn found none/);
    expect(r.output).toMatch(/CI=true but no Chromium at /);
    expect(r.output).not.toMatch(/^SKIPPED/m);
  });
});
