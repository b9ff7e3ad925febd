/**
 * Creating folders one level at a time (Node only). `mkdir -p` as Node does it
 * (`mkdirSync(path, { recursive: true })`) spins forever at 100% CPU under /proc, where mkdir
 * answers ENOENT for a folder whose parent exists; here each missing level is made once, and a
 * failure names the folder and the reason.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FileAccessError, errorCode, fileAccessError } from './fs-errors.js';

/**
 * The closest folder at or above `path` that exists, and the levels below it that do not exist
 * yet (outermost first). Throws a FileAccessError when something on the way is not a folder.
 */
export function nearestExistingFolder(path: string): { existing: string; missing: string[] } {
  const missing: string[] = [];
  let current = resolve(path);
  for (;;) {
    let isFolder: boolean;
    try {
      isFolder = statSync(current).isDirectory();
    } catch (error) {
      const code = errorCode(error);
      if (code !== 'ENOENT') throw fileAccessError(error, 'look at', current);
      const parent = dirname(current);
      if (parent === current) throw fileAccessError(error, 'look at', current);
      missing.unshift(current);
      current = parent;
      continue;
    }
    if (!isFolder) throw new FileAccessError(`'${current}' is not a folder`, current, 'ENOTDIR');
    return { existing: current, missing };
  }
}

/** Creates `path` and any missing parents; returns the folders it created (outermost first). */
export function makeFolders(path: string): string[] {
  const { missing } = nearestExistingFolder(path);
  const created: string[] = [];
  for (const folder of missing) {
    try {
      mkdirSync(folder);
      created.push(folder);
    } catch (error) {
      // Another process may have made it meanwhile; anything else is a failure.
      if (errorCode(error) === 'EEXIST' && statSync(folder).isDirectory()) continue;
      if (errorCode(error) === 'ENOENT') {
        // Its parent exists (it was checked or just made): a virtual file system such as /proc.
        throw new FileAccessError(`cannot create the folder '${folder}': its parent accepts no new entries (ENOENT)`, folder, 'ENOENT');
      }
      throw fileAccessError(error, 'create the folder', folder);
    }
  }
  return created;
}
