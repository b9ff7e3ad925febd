/**
 * Where a run writes, on real files, real links, real small tmpfs mounts and real child
 * processes: a checkpoint never chooses a write target, a run never writes (or reads) through a
 * link it did not make, a full disk loses no output that could be written and leaves no lock, and
 * the working folder and the bytes of a path are checked. Each test title starts with its id in
 * docs/reliability.md ([id]).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpz } from '../src/io/npz.js';
import { QUICK, bin, canUnshareMount, childEnv, editCheckpoint, ensureBuilt, readBytes, runCli, runScriptOnMount } from './support/cli-process.js';
import { failOnCi, needs } from './support/requirements.js';

let base: string;

beforeAll(() => {
  ensureBuilt();
  base = mkdtempSync(join(tmpdir(), 'rl-outputs-'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** A finished quick run in `dir/<out>` with a checkpoint, its weights at `dir/<save>`. */
function quickRun(dir: string, out: string, save: string, extra: string[] = []): void {
  const r = runCli([...QUICK, '--steps', '400', '--out', out, '--save', save, '--checkpoint-every', '200', ...extra], dir);
  expect(r.code, r.stderr).toBe(0);
}

describe('a checkpoint never chooses where a run writes', () => {
  it('[resume-paths-from-checkpoint] a checkpoint edited to name other files as its --save and --video: those files are untouched; the outputs go into the run folder', () => {
    const dir = mkdtempSync(join(base, 'sent-'));
    quickRun(dir, 'run', 'w.npz', ['--video', 'v.gif']);
    // The "victims": files the sender wants overwritten, outside the run folder.
    mkdirSync(join(dir, 'home'));
    const victims = { save: join(dir, 'home', 'notes.txt'), video: join(dir, 'home', 'photo.png') };
    writeFileSync(victims.save, 'precious notes\n');
    writeFileSync(victims.video, 'precious photo\n');
    const sent = editCheckpoint(readBytes(join(dir, 'run', 'checkpoint.zip')), (h) => {
      const frontEnd = (h.meta.run as { frontEnd: Record<string, unknown> }).frontEnd;
      frontEnd.save = victims.save;
      frontEnd.video = victims.video;
    });
    mkdirSync(join(dir, 'received'));
    writeFileSync(join(dir, 'received', 'checkpoint.zip'), sent);
    const r = runCli(['--resume', join('received', 'checkpoint.zip'), '--steps', '600', '--backend', 'cpu'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(victims.save, 'utf8')).toBe('precious notes\n');
    expect(readFileSync(victims.video, 'utf8')).toBe('precious photo\n');
    expect(r.stdout).toMatch(/^weights: received\/dqn_weights\.npz\n/m);
    expect(r.stdout).toMatch(/the checkpoint's run also saved them to '.*notes\.txt': give --save to write a copy where you choose/);
    expect(readdirSync(join(dir, 'received'))).toEqual(expect.arrayContaining(['dqn_weights.npz', 'CartPole-v1-seed10000.gif', 'checkpoint.zip']));
    // Flags still choose: --save and --video given on the resuming command line are written.
    const flagged = runCli(['--resume', join('received', 'checkpoint.zip'), '--steps', '700', '--backend', 'cpu', '--save', 'mine.npz', '--no-video'], dir);
    expect(flagged.code, flagged.stderr).toBe(0);
    expect(readNpz(readBytes(join(dir, 'mine.npz'))).has('arr_0')).toBe(true);
  });
});

describe('a run never writes or reads through a link it did not make', () => {
  it('[run-files-linked] every file of a resumed run folder a link to a file outside: the outside files keep their bytes, the links become the run\'s own files', () => {
    const dir = mkdtempSync(join(base, 'links-'));
    quickRun(dir, 'r', 'w.npz');
    mkdirSync(join(dir, 'outside'));
    const names = ['metrics.csv', 'evaluations.csv', 'config.json', 'eval.json', 'learning-curve.png', 'learning-curve.svg', 'stats.json', 'dqn_weights.npz'];
    for (const name of names) {
      const target = join(dir, 'outside', name);
      writeFileSync(target, `not yours: ${name}\n`);
      rmSync(join(dir, 'r', name), { force: true });
      symlinkSync(target, join(dir, 'r', name));
    }
    const r = runCli(['--resume', join('r', 'checkpoint.zip'), '--steps', '600', '--backend', 'cpu', '--final-eval-episodes', '2'], dir);
    expect(r.code, r.stderr).toBe(0);
    for (const name of names) {
      expect(readFileSync(join(dir, 'outside', name), 'utf8'), name).toBe(`not yours: ${name}\n`);
      expect(lstatSync(join(dir, 'r', name)).isSymbolicLink(), name).toBe(false);
    }
    expect(readFileSync(join(dir, 'r', 'metrics.csv'), 'utf8')).toMatch(/^episode,steps,return/);
  });

  it('[run-file-dangling-link] a metrics.csv that is a link to nowhere: the folder counts as holding a run, and nothing is created where the link points', () => {
    const dir = mkdtempSync(join(base, 'dangling-'));
    mkdirSync(join(dir, 'r'));
    symlinkSync(join(dir, 'elsewhere.csv'), join(dir, 'r', 'metrics.csv'));
    const r = runCli([...QUICK, '--steps', '200', '--out', 'r', '--save', 'w.npz'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --out 'r' already holds a run \(metrics\.csv\)/);
    expect(existsSync(join(dir, 'elsewhere.csv'))).toBe(false);
  });

  it('[run-file-read-link] an older checkpoint (no rows of its own) whose metrics.csv beside it is a link: refused, naming the link, and the link\'s target is not read into the run', () => {
    const dir = mkdtempSync(join(base, 'readlink-'));
    quickRun(dir, 'r', 'w.npz');
    const older = editCheckpoint(readBytes(join(dir, 'r', 'checkpoint.zip')), (h) => delete (h.meta.run as Record<string, unknown>).frontEnd);
    writeFileSync(join(dir, 'r', 'checkpoint.zip'), older);
    writeFileSync(join(dir, 'secret.csv'), 'episode,steps,return,length,epsilon,loss,wall_time_s\n1,1,1,1,1,,1\n');
    rmSync(join(dir, 'r', 'metrics.csv'));
    symlinkSync(join(dir, 'secret.csv'), join(dir, 'r', 'metrics.csv'));
    const r = runCli(['--resume', join('r', 'checkpoint.zip'), '--steps', '600', '--backend', 'cpu'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: cannot read '.*r\/metrics\.csv': it is a symbolic link, and a run never reads a file through a link it did not make\n$/);
    expect(lstatSync(join(dir, 'r', 'metrics.csv')).isSymbolicLink()).toBe(true);
  });
});

describe('the working folder and the bytes of a path', () => {
  it('[cwd-deleted] a run started in a folder that was deleted says so, instead of uv_cwd ENOENT', () => {
    const gone = mkdtempSync(join(base, 'gone-'));
    const r = spawnSync('sh', ['-c', 'cd "$1" && rmdir "$1" && exec "$2" "$3" --backend cpu --steps 10', 'sh', gone, process.execPath, bin], { encoding: 'utf8', env: childEnv(), timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('error: the current folder no longer exists (it was deleted or moved); cd into a folder that exists and run again\n');
  });

  it('[path-not-utf8] a --save path holding a byte that is not UTF-8 is refused, and nothing is written under another name', () => {
    const dir = mkdtempSync(join(base, 'bytes-'));
    // printf turns \377 into the byte 0xFF, which Node's argv can only show as U+FFFD.
    const r = spawnSync('sh', ['-c', 'exec "$1" "$2" --backend cpu --steps 10 --save "$(printf "w\\377.npz")"', 'sh', process.execPath, bin], { cwd: dir, encoding: 'utf8', env: childEnv(), timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: --save 'w\uFFFD\.npz': the path holds bytes that are not UTF-8 \(shown as U\+FFFD\); Node cannot name that file exactly: use a UTF-8 path\n$/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

const unshare = canUnshareMount();
if (!unshare) failOnCi('no user namespaces (unshare -Urm) for a small tmpfs');

describe('a full disk (a small tmpfs in a private mount namespace)', needs('user-namespaces', unshare), () => {
  it('[disk-full-final-checkpoint] the run folder fills at the final checkpoint: --save on another disk is still written, every failure is named, and the next step printed', () => {
    const dir = mkdtempSync(join(base, 'final-'));
    mkdirSync(join(dir, 'small'));
    // 12 KiB: config.json and metrics.csv fit, the checkpoint (about 19 kB) does not.
    const r = runScriptOnMount('exec "$NODE" "$BIN" "$@"', [...QUICK, '--steps', '400', '--out', 'small/r', '--save', 'w.npz', '--checkpoint-every', '0'], dir, join(dir, 'small'), 12);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^weights: w\.npz/m);
    expect(readNpz(readBytes(join(dir, 'w.npz'))).has('arr_0')).toBe(true);
    expect(r.stderr).toMatch(
      /^error: \d outputs could not be written: cannot write 'small\/r\/checkpoint\.zip': no space left on the device \(ENOSPC\); .*; the weights are in w\.npz; no checkpoint was written: make room, or start again with --out <a folder with room>\n$/,
    );
  });

  it('[disk-full-save] --save on a full disk: the run folder\'s weights, checkpoint and learning curve are still written, and the resume command says where to send --save', () => {
    const dir = mkdtempSync(join(base, 'save-full-'));
    mkdirSync(join(dir, 'full'));
    // The mount is filled to the last byte before the run starts: creating --save's probe file still works (no data), writing it does not.
    const fill = 'head -c 64k /dev/zero > "$MNT/filler" 2>/dev/null; exec "$NODE" "$BIN" "$@"';
    const r = runScriptOnMount(fill, [...QUICK, '--steps', '400', '--out', 'r', '--save', 'full/w.npz', '--checkpoint-every', '200'], dir, join(dir, 'full'), 16);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^weights: r\/dqn_weights\.npz\n/m);
    expect(r.stdout).toMatch(/^learning curve: r\/learning-curve\.png$/m);
    expect(readdirSync(join(dir, 'r'))).toEqual(expect.arrayContaining(['checkpoint.zip', 'dqn_weights.npz', 'learning-curve.png', 'learning-curve.svg']));
    expect(r.stderr).toBe(
      "error: cannot write 'full/w.npz': no space left on the device (ENOSPC); the weights are in r/dqn_weights.npz; the checkpoint r/checkpoint.zip (step 400) is intact: make room, or continue with --resume r/checkpoint.zip --save <a file with room>\n",
    );
  });

  it('[disk-full-at-start] a disk full before the run: refused naming the lock file, no lock or folder left, and the next run is not turned away', () => {
    const dir = mkdtempSync(join(base, 'start-full-'));
    mkdirSync(join(dir, 'full'));
    const script = [
      'head -c 256k /dev/zero > "$MNT/filler" 2>/dev/null',
      '"$NODE" "$BIN" "$@"; echo "first exit $?"',
      'ls -A "$MNT"; echo "listed"',
      'rm "$MNT/filler"',
      'exec "$NODE" "$BIN" "$@"',
    ].join('; ');
    const r = runScriptOnMount(script, [...QUICK, '--steps', '200', '--out', 'full/r', '--save', 'w.npz'], dir, join(dir, 'full'), 128);
    expect(r.stderr).toMatch(/^error: --out 'full\/r': cannot create its lock file '\.run\.lock': no space left on the device \(ENOSPC\)\n$/);
    expect(r.stdout).toMatch(/first exit 2\nfiller\nlisted\n/);
    // The second run, with room again, is not refused as "in use".
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^finished: 200 steps/m);
  });
});
