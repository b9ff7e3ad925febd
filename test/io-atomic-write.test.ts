import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeFileAtomicSync } from '../src/io/node/atomic-write.js';

const dir = mkdtempSync(join(tmpdir(), 'atomic-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const modulePath = fileURLToPath(new URL('../src/io/node/atomic-write.ts', import.meta.url));

describe('writeFileAtomic', () => {
  it('creates parent folders, replaces content and leaves no temp files', async () => {
    const target = join(dir, 'a', 'b', 'weights.npz');
    writeFileAtomicSync(target, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(target)]).toEqual([1, 2, 3]);
    await writeFileAtomic(target, 'hello');
    expect(readFileSync(target, 'utf8')).toBe('hello');
    writeFileAtomicSync(target, new Uint8Array(0));
    expect(readFileSync(target).length).toBe(0);
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual(['weights.npz']);
  });

  it('cleans up its temp file when the write fails, leaving the target alone', async () => {
    const folder = join(dir, 'fail');
    const target = join(folder, 'busy');
    mkdirSync(join(target, 'inner'), { recursive: true }); // a non-empty folder: the rename must fail
    expect(() => writeFileAtomicSync(target, 'x')).toThrow();
    await expect(writeFileAtomic(target, 'x')).rejects.toThrow();
    expect(readdirSync(folder)).toEqual(['busy']);
    expect(readdirSync(target)).toEqual(['inner']);
  });

  it('never leaves a torn file when the writing process is killed mid-write', async () => {
    const folder = join(dir, 'kill');
    mkdirSync(folder, { recursive: true });
    const target = join(folder, 'big.bin');
    const size = 4 << 20;
    writeFileSync(target, new Uint8Array(size).fill(1));
    const child = join(dir, 'writer.ts');
    // Rewrites the target forever, alternating between all-2 and all-3 content.
    writeFileSync(
      child,
      `import { writeFileAtomicSync } from ${JSON.stringify(modulePath)};
const a = new Uint8Array(${size}).fill(2), b = new Uint8Array(${size}).fill(3);
process.stdout.write('ready\\n');
for (let i = 0; ; i++) writeFileAtomicSync(${JSON.stringify(target)}, i % 2 ? b : a);
`,
    );
    const seen = new Set<number>();
    for (const delayMs of [10, 60, 120]) {
      const proc = spawn(process.execPath, ['--import', 'tsx', child], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => proc.stdout.once('data', () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      proc.kill('SIGKILL');
      await new Promise((resolve) => proc.once('exit', resolve));
      const bytes = readFileSync(target);
      expect(bytes.length).toBe(size);
      const value = bytes[0];
      expect(bytes.every((v) => v === value)).toBe(true);
      seen.add(value);
      // A kill between write and rename can leave a temp file beside the target, never in its place.
      for (const name of readdirSync(folder)) expect(name === 'big.bin' || /^\.big\.bin\..*\.tmp$/.test(name)).toBe(true);
    }
    expect(seen.has(2) || seen.has(3)).toBe(true);
  });
});
