/**
 * Opening the files a run owns without following symbolic links (Node only). A run folder may
 * come from someone else (a copied or downloaded run): a `metrics.csv` there that is a link to
 * another file must never make the run write into, or read from, that file. Atomic writes replace
 * a link (rename); files opened in place (appended rows, read back rows) go through here.
 */
import { constants, openSync, readFileSync, closeSync } from 'node:fs';
import { FileAccessError, errorCode, fileAccessError } from './fs-errors.js';

/** `open(2)` flags for appending to `path`, never through a link; `create` makes it when missing. */
function appendFlags(create: boolean): number {
  return constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW | (create ? constants.O_CREAT : 0);
}

/** The error for a file that is a link where the run expects its own file. */
function linkRefused(action: string, path: string): FileAccessError {
  return new FileAccessError(`cannot ${action} '${path}': it is a symbolic link, and a run never ${action}s a file through a link it did not make`, path, 'ELOOP');
}

/** Opens `path` for appending without following a link there (ELOOP names it as such). */
export function openForAppendNoFollow(path: string, create = true): number {
  try {
    return openSync(path, appendFlags(create), 0o644);
  } catch (error) {
    if (errorCode(error) === 'ELOOP') throw linkRefused('write', path);
    throw fileAccessError(error, 'write', path);
  }
}

/** Reads `path` as UTF-8 text without following a link there; null when it does not exist. */
export function readTextNoFollow(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    if (errorCode(error) === 'ELOOP') throw linkRefused('read', path);
    throw fileAccessError(error, 'read', path);
  }
  try {
    return readFileSync(fd, 'utf8');
  } catch (error) {
    throw fileAccessError(error, 'read', path);
  } finally {
    closeSync(fd);
  }
}
