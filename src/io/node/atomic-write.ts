/**
 * Crash-safe file writes (Node only): write a temp file in the target's folder, fsync it,
 * rename it over the target, fsync the folder. A crash, kill or Ctrl-C at any moment leaves the
 * target either with its old complete content or the new complete content, never a mix.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

let counter = 0;

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
  mkdirSync(dirname(path), { recursive: true });
  const temp = tempPathFor(path);
  let renamed = false;
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
  } finally {
    if (!renamed) {
      try {
        unlinkSync(temp);
      } catch {
        // The temp file was never created.
      }
    }
  }
}

/** Writes `data` to `path` atomically, creating parent folders. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  await mkdir(dirname(path), { recursive: true });
  const temp = tempPathFor(path);
  let renamed = false;
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      let written = 0;
      while (written < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, written, bytes.length - written);
        written += bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    renamed = true;
    const folder = await open(dirname(path), 'r').catch(() => undefined);
    if (folder) {
      await folder.sync().catch(() => undefined);
      await folder.close();
    }
  } finally {
    if (!renamed) await unlink(temp).catch(() => undefined);
  }
}
