/**
 * File-system failures as one line that names the file the user cares about (not a temp file) and
 * says what went wrong in words, with the system's code: "cannot write 'runs/a/checkpoint.zip': no
 * space left on the device (ENOSPC)". Node only.
 */
import { errorMessage } from '../../errors.js';

/** A file or folder could not be read, written or created; `path` is the one the user named or the run owns. */
export class FileAccessError extends Error {
  override name = 'FileAccessError';
  constructor(
    message: string,
    /** The file or folder concerned. */
    readonly path: string,
    /** The system error code (ENOSPC, EROFS, ...), or '' when the check was ours. */
    readonly code: string,
  ) {
    super(message);
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or folder',
  EISDIR: 'is a folder',
  ENOTDIR: 'a part of the path is not a folder',
  EEXIST: 'already exists',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  ENAMETOOLONG: 'name too long',
  EFBIG: 'file too large',
  ELOOP: 'too many symbolic links',
  EBUSY: 'resource busy',
  EINVAL: 'invalid argument',
};

/** The system error code of `error` ('' when it has none). */
export function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** What `code` means, in words. */
export function reasonOf(error: unknown): string {
  const code = errorCode(error);
  const reason = REASONS[code];
  if (reason !== undefined) return `${reason} (${code})`;
  return errorMessage(error);
}

/**
 * A FileAccessError for `error`, raised while trying to `action` (write, read, create the folder, ...)
 * `path`. An error that already is a FileAccessError passes through unchanged.
 */
export function fileAccessError(error: unknown, action: string, path: string): FileAccessError {
  if (error instanceof FileAccessError) return error;
  return new FileAccessError(`cannot ${action} '${path}': ${reasonOf(error)}`, path, errorCode(error));
}
