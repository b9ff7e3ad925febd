/**
 * Crash-safe file writes (Node only): write a temp file in the target's folder, fsync it,
 * rename it over the target, fsync the folder. A crash, kill or Ctrl-C at any moment leaves the
 * target either with its old complete content or the new complete content, never a mix.
 *
 * - A failure names the target, not the temp file: "cannot write 'runs/a/checkpoint.zip': no
 *   space left on the device (ENOSPC)" (a FileAccessError).
 * - Temp files are named `.<target>.<pid>.<n>.<random>.tmp`. The ones a killed process left
 *   behind are removed by `removeOrphanTempFiles` (a run calls it on its folders at start), and
 *   `removePendingTempFilesSync` removes this process's own before an immediate exit.
 */
import { closeSync, fsync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, write, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileAccessError } from './fs-errors.js';
import { makeFolders } from './folders.js';

let counter = 0;
/** Temp files this process is writing right now. */
const pending = new Set<string>();

/** `.<name>.<pid>.<counter>.<hex>.tmp`: the one place the temp name's layout is written down. */
const TEMP_NAME = /^\.(.+)\.(\d+)\.(\d+)\.([0-9a-f]+)\.tmp$/;

function tempPathFor(path: string): string {
  counter = (counter + 1) % 1_000_000;
  const random = Math.floor(Math.random() * 0x100000000).toString(16);
  return join(dirname(path), `.${basename(path)}.${process.pid}.${counter}.${random}.tmp`);
}

function fsyncFolderSync(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot open or fsync a folder; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes `data` to `path` atomically, creating parent folders. Synchronous. */
export function writeFileAtomicSync(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  makeFolders(dirname(path));
  const temp = tempPathFor(path);
  let renamed = false;
  pending.add(temp);
  try {
    const fd = openSync(temp, 'wx', 0o644);
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
    renamed = true;
    fsyncFolderSync(dirname(path));
  } catch (error) {
    throw fileAccessError(error, 'write', path);
  } finally {
    pending.delete(temp);
    if (!renamed) {
      try {
        unlinkSync(temp);
      } catch {
        // The temp file was never created.
      }
    }
  }
}

/**
 * Writes `data` to `path` atomically, creating parent folders. The temp file is created
 * synchronously, so that at every await it either exists and is in the pending set, or does not
 * exist yet: removePendingTempFilesSync never misses one that appears after it ran.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  makeFolders(dirname(path));
  const temp = tempPathFor(path);
  let renamed = false;
  pending.add(temp);
  try {
    const fd = openSync(temp, 'wx', 0o644);
    try {
      let written = 0;
      while (written < bytes.length) written += await writeAsync(fd, bytes, written, bytes.length - written);
      await fsyncAsync(fd);
    } finally {
      closeSync(fd);
    }
    await rename(temp, path);
    renamed = true;
    const folder = await open(dirname(path), 'r').catch(() => undefined);
    if (folder) {
      await folder.sync().catch(() => undefined);
      await folder.close();
    }
  } catch (error) {
    throw fileAccessError(error, 'write', path);
  } finally {
    pending.delete(temp);
    if (!renamed) await unlink(temp).catch(() => undefined);
  }
}

function writeAsync(fd: number, bytes: Uint8Array, offset: number, length: number): Promise<number> {
  return new Promise((resolve, reject) => write(fd, bytes, offset, length, null, (error, count) => (error ? reject(error) : resolve(count))));
}

function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())));
}

/**
 * Removes this process's temp files of writes still in progress (synchronously: for a process
 * about to exit at once, e.g. on a second Ctrl-C). The targets keep their previous content.
 */
export function removePendingTempFilesSync(): void {
  for (const temp of pending) {
    try {
      unlinkSync(temp);
    } catch {
      // Already renamed or never created.
    }
  }
  pending.clear();
}

/** Whether process `pid` is alive (EPERM: alive, someone else's). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes the temp files in `folder` left by processes that died mid-write (killed, crashed, power
 * loss); a live process's temp files stay. Returns the names removed. A folder that does not exist
 * or cannot be read has none.
 */
export function removeOrphanTempFiles(folder: string): string[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = TEMP_NAME.exec(name);
    if (match === null) continue;
    const pid = Number(match[2]);
    if (pid === process.pid ? pending.has(join(folder, name)) : processAlive(pid)) continue;
    try {
      unlinkSync(join(folder, name));
      removed.push(name);
    } catch {
      // Gone already, or not ours to remove.
    }
  }
  return removed;
}

/** A name in `folder` for a probe file that removeOrphanTempFiles would clean up if this process died holding it. */
export function probePathIn(folder: string): string {
  return tempPathFor(join(folder, 'write-probe'));
}
