/**
 * The CLI's own lines on stdout and stderr (progress has its own reporter writing to the same
 * stream). A reader that goes away (`node bin/train.js | head`, a closed terminal) must not end
 * the run: after `guardStandardStreams()`, a write error on either stream (EPIPE, EIO) only marks
 * that stream closed, later lines to it are dropped, and training goes on to save its work.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';

const closed = { stdout: false, stderr: false };
let guarded = false;

/** Stops write errors on stdout and stderr from crashing the process (idempotent). */
export function guardStandardStreams(): void {
  if (guarded) return;
  guarded = true;
  process.stdout.on('error', () => {
    closed.stdout = true;
  });
  process.stderr.on('error', () => {
    closed.stderr = true;
  });
}

/** Whether stdout still has a reader. */
export function stdoutOpen(): boolean {
  return !closed.stdout && !process.stdout.destroyed;
}

/**
 * A path as the CLI's lines show it: relative to the working folder (where the user typed the
 * command), or absolute when it lies outside that folder (no '../../tmp/...').
 */
export function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  if (rel === '') return '.';
  return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel) ? resolve(path) : rel;
}

/**
 * `text` as one word for a POSIX shell, so a printed command can be pasted as it is: unchanged
 * when it holds only characters no shell treats specially, else in single quotes.
 */
export function shellQuoted(text: string): string {
  if (/^[A-Za-z0-9_\/.,:@%+=-]+$/.test(text)) return text;
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** A line on stdout (dropped once stdout is closed). */
export function say(text: string): void {
  if (stdoutOpen()) process.stdout.write(text + '\n');
}

/** Text on stderr (dropped once stderr is closed). */
export function warn(text: string): void {
  if (!closed.stderr && !process.stderr.destroyed) process.stderr.write(text);
}
