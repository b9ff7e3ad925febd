/**
 * Every path a run reads or writes, checked before any work starts, so a path that cannot be used
 * fails at once with the flag and the reason, not after an hour of training (Node only).
 *
 * An output file must be a non-empty name that is not a folder and not a device, pipe or socket,
 * in a folder that exists or can be created, where a file can be created now: a probe file is
 * made and removed (or a missing folder made and removed), which catches read-only mounts,
 * permissions and virtual file systems such as /proc. An input file must exist, be a regular file
 * and be readable.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { probePathIn } from '../io/node/atomic-write.js';
import { FileAccessError, errorCode, reasonOf } from '../io/node/fs-errors.js';
import { nearestExistingFolder } from '../io/node/folders.js';
import { UsageError } from './cli-errors.js';

/** `flag 'path'`, as messages name a path. */
function named(flag: string, path: string): string {
  return `${flag} '${path}'`;
}

/** The kind of thing at `path`, or null when nothing is there. Throws UsageError when it cannot be looked at. */
function kindAt(path: string, flag: string): 'file' | 'folder' | 'other' | null {
  try {
    const stats = statSync(path);
    return stats.isFile() ? 'file' : stats.isDirectory() ? 'folder' : 'other';
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return null;
    if (code === 'ENOTDIR') throw new UsageError(`${named(flag, path)}: a part of the path is a file, not a folder`);
    throw new UsageError(`${named(flag, path)}: ${reasonOf(error)}`);
  }
}

/**
 * Throws UsageError unless a file can be created in `folder` now (creating the folder if needed).
 * Leaves nothing behind.
 */
export function checkWritableFolder(folder: string, flag: string, path: string): void {
  let existing: string;
  let missing: string[];
  try {
    ({ existing, missing } = nearestExistingFolder(folder));
  } catch (error) {
    const where = error instanceof FileAccessError ? error.path : folder;
    throw new UsageError(`${named(flag, path)}: '${where}' is not a folder`);
  }
  if (missing.length > 0) {
    const first = missing[0];
    try {
      mkdirSync(first);
    } catch (error) {
      const reason = errorCode(error) === 'ENOENT' ? `'${existing}' accepts no new folders (ENOENT: a virtual file system such as /proc?)` : reasonOf(error);
      throw new UsageError(`${named(flag, path)}: cannot create the folder '${first}': ${reason}`);
    }
    rmdirSync(first);
    return;
  }
  const probe = probePathIn(existing);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (error) {
    const reason = errorCode(error) === 'ENOENT' ? `it accepts no new files (ENOENT: a virtual file system such as /proc?)` : reasonOf(error);
    throw new UsageError(`${named(flag, path)}: cannot write in '${existing}': ${reason}`);
  }
  unlinkSync(probe);
}

/** Checks an output file path (see the module note); returns it resolved. */
export function checkOutputFile(path: string, flag: string): string {
  if (path.trim() === '') throw new UsageError(`${flag}: the path is empty`);
  if (path.endsWith(sep) || path.endsWith('/')) throw new UsageError(`${named(flag, path)} names a folder; give a file name`);
  const kind = kindAt(path, flag);
  if (kind === 'folder') throw new UsageError(`${named(flag, path)} is a folder; give a file name`);
  if (kind === 'other') throw new UsageError(`${named(flag, path)} is not a regular file (a device, pipe or socket?)`);
  const full = resolve(path);
  checkWritableFolder(dirname(full), flag, path);
  return full;
}

/** Checks a folder a run will write into (existing or to be created); returns it resolved. */
export function checkOutputFolder(path: string, flag: string): string {
  if (path.trim() === '') throw new UsageError(`${flag}: the path is empty`);
  const kind = kindAt(path, flag);
  if (kind === 'file' || kind === 'other') throw new UsageError(`${named(flag, path)} exists and is not a folder`);
  const full = resolve(path);
  checkWritableFolder(full, flag, path);
  return full;
}

/** Reads an input file, turning every failure into a UsageError that names the flag and the file. */
export function readInputFile(path: string, flag: string): Uint8Array {
  if (path.trim() === '') throw new UsageError(`${flag}: the path is empty`);
  const kind = kindAt(path, flag);
  if (kind === null) throw new UsageError(`${named(flag, path)}: no such file`);
  if (kind === 'folder') throw new UsageError(`${named(flag, path)}: is a folder`);
  if (kind === 'other') throw new UsageError(`${named(flag, path)}: is not a regular file`);
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new UsageError(`${named(flag, path)}: ${reasonOf(error)}`);
  }
}

/** Throws UsageError when two flags name the same file (the later write would replace the earlier). */
export function checkDistinctOutputs(outputs: readonly { flag: string; path: string }[]): void {
  const seen = new Map<string, string>();
  for (const { flag, path } of outputs) {
    const full = resolve(path);
    const earlier = seen.get(full);
    if (earlier !== undefined) throw new UsageError(`${earlier} and ${flag} name the same file '${path}'; one would overwrite the other`);
    seen.set(full, flag);
  }
}
