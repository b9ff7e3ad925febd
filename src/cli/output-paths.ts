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
import { closeSync, mkdirSync, openSync, readFileSync, realpathSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { probePathIn } from '../io/node/atomic-write.js';
import { FileAccessError, errorCode, reasonOf } from '../io/node/fs-errors.js';
import { nearestExistingFolder } from '../io/node/folders.js';
import { UsageError } from './cli-errors.js';

/** What Node puts in a string for bytes that are not UTF-8. */
const REPLACEMENT = '\uFFFD';

/**
 * Throws UsageError when the working folder cannot anchor relative paths: it was deleted (or moved
 * away) after the shell entered it, or its name is not valid UTF-8 (Node would see U+FFFD in it
 * and resolve paths into a folder of another name).
 */
export function checkWorkingFolder(): void {
  let cwd: string;
  try {
    cwd = process.cwd();
  } catch (error) {
    if (errorCode(error) === 'ENOENT') throw new UsageError('the current folder no longer exists (it was deleted or moved); cd into a folder that exists and run again');
    throw new UsageError(`the current folder cannot be read: ${reasonOf(error)}`);
  }
  if (cwd.includes(REPLACEMENT)) throw new UsageError(`the current folder's path holds bytes that are not UTF-8 ('${cwd}'); run from a folder whose path is UTF-8`);
}

/**
 * Throws UsageError when `path` holds U+FFFD: the shell passed bytes that are not UTF-8, which
 * Node's argv cannot carry, so a file written under that name would get another name.
 */
function checkPathText(path: string, flag: string): void {
  if (path.includes(REPLACEMENT)) {
    throw new UsageError(`${flag} '${path}': the path holds bytes that are not UTF-8 (shown as U+FFFD); Node cannot name that file exactly: use a UTF-8 path`);
  }
}

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
  checkPathText(path, flag);
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
  checkPathText(path, flag);
  const kind = kindAt(path, flag);
  if (kind === 'file' || kind === 'other') throw new UsageError(`${named(flag, path)} exists and is not a folder`);
  const full = resolve(path);
  checkWritableFolder(full, flag, path);
  return full;
}

/** Reads an input file, turning every failure into a UsageError that names the flag and the file. */
export function readInputFile(path: string, flag: string): Uint8Array {
  if (path.trim() === '') throw new UsageError(`${flag}: the path is empty`);
  checkPathText(path, flag);
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

/** A path a run reads or writes, and what names it in messages (a flag, or "the run's metrics.csv"). */
export interface PathUse {
  flag: string;
  path: string;
}

/**
 * Where a write to `path` lands: the real path of its folder (symbolic links and `..` resolved as
 * far as the folder exists) joined with its own name. The name itself is not followed: every write
 * is atomic (a rename), which replaces a link rather than writing through it.
 */
function writtenAt(path: string): string {
  const full = resolve(path);
  return join(realFolder(dirname(full)), basename(full));
}

/** The real path of `folder`, or of its nearest existing parent joined with the missing rest. */
function realFolder(folder: string): string {
  try {
    const { existing, missing } = nearestExistingFolder(folder);
    const real = realpathSync(existing);
    return missing.length === 0 ? real : join(real, relative(existing, folder));
  } catch {
    return folder;
  }
}

/** Whether writing `a` and writing `b` land in the same file (see writtenAt): one output, not two. */
export function sameWrittenFile(a: string, b: string): boolean {
  return writtenAt(a) === writtenAt(b);
}

/** The places that reading `path` depends on: its name, and the file it leads to (through links). */
function readFrom(path: string): string[] {
  const named = writtenAt(path);
  try {
    const target = realpathSync(path);
    return target === named ? [named] : [named, target];
  } catch {
    return [named];
  }
}

/**
 * Throws UsageError when two paths of a run meet after resolving folders and links (see writtenAt):
 * an output that would replace an input (or the file it links to), or two outputs that would
 * replace each other. `samePlace` lists the pairs of flags that may name the same file because
 * they are one output (the weights and their copy in the run folder) or a run continued in place
 * (the checkpoint --resume reads, rewritten by the run).
 */
export function checkDistinctPaths(reads: readonly PathUse[], writes: readonly PathUse[], samePlace: readonly (readonly [string, string])[] = []): void {
  const allowed = (a: string, b: string) => samePlace.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
  const written = new Map<string, PathUse>();
  for (const use of writes) {
    const at = writtenAt(use.path);
    const earlier = written.get(at);
    if (earlier !== undefined && !allowed(earlier.flag, use.flag)) {
      // The path shown is one the user typed (a flag's) where there is one.
      const typed = [use, earlier].find((u) => u.flag.startsWith('--')) ?? use;
      throw new UsageError(`${earlier.flag} and ${use.flag} name the same file '${typed.path}'; one would overwrite the other`);
    }
    written.set(at, use);
  }
  for (const read of reads) {
    for (const at of readFrom(read.path)) {
      const write = written.get(at);
      if (write !== undefined && !allowed(read.flag, write.flag)) {
        const how = at === writtenAt(read.path) ? '' : ` (it leads to '${at}')`;
        throw new UsageError(`${read.flag} '${read.path}'${how} and ${write.flag} '${write.path}' are the same file: writing ${write.flag} would replace what ${read.flag} reads`);
      }
    }
  }
}
