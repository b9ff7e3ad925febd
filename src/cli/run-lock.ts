/**
 * One run per folder: a run holds `<folder>/.run.lock` (created exclusively, holding its process
 * id and host) for as long as it writes there, so a second run started with the same --out is
 * refused instead of interleaving metrics.csv lines with the first. A lock whose process is gone
 * (killed with SIGKILL, a crash, a reboot) is taken over. The lock is removed when the run ends,
 * also on an immediate exit (a `process.on('exit')` handler). Node only.
 */
import { linkSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { probePathIn, processAlive } from '../io/node/atomic-write.js';
import { errorCode, reasonOf } from '../io/node/fs-errors.js';
import { UsageError } from './cli-errors.js';

export const LOCK_FILE = '.run.lock';

interface LockRecord {
  pid: number;
  host: string;
  started: string;
}

export class RunLock {
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(readonly path: string) {
    process.on('exit', this.onExit);
  }

  /**
   * Takes the lock of `folder` (which must exist); `flag` names the folder in the refusal. The lock
   * appears whole or not at all: its record is written to a temp file first and hard-linked into
   * place (link(2) fails when the lock exists), so a failure (a full disk) never leaves an empty
   * lock that would turn the next runs away.
   */
  static acquire(folder: string, flag: string, shown = folder): RunLock {
    const path = join(folder, LOCK_FILE);
    const record: LockRecord = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
    const temp = probePathIn(folder);
    try {
      try {
        writeFileSync(temp, JSON.stringify(record) + '\n', { flag: 'wx', mode: 0o644 });
      } catch (error) {
        throw new UsageError(`${flag} '${shown}': cannot create its lock file '${LOCK_FILE}': ${reasonOf(error)}`);
      }
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          linkSync(temp, path);
          return new RunLock(path);
        } catch (error) {
          if (errorCode(error) !== 'EEXIST') throw new UsageError(`${flag} '${shown}': cannot create its lock file '${LOCK_FILE}': ${reasonOf(error)}`);
        }
        checkNotInUse(folder, flag, shown);
        try {
          unlinkSync(path); // a stale lock: its process is gone
        } catch {
          // Someone else took it over first; the next attempt sees theirs.
        }
      }
    } finally {
      rmSync(temp, { force: true });
    }
    throw new UsageError(`${flag} '${shown}' is being claimed by another run at the same moment; choose another ${flag}`);
  }

  /** Removes the lock (idempotent). */
  release(): void {
    if (this.released) return;
    this.released = true;
    process.off('exit', this.onExit);
    try {
      const record = JSON.parse(readFileSync(this.path, 'utf8')) as LockRecord;
      if (record.pid === process.pid) unlinkSync(this.path);
    } catch {
      // Already gone.
    }
  }
}

/** Throws UsageError when a live run holds `folder`'s lock (checked by a run's plan, before any work). */
export function checkNotInUse(folder: string, flag: string, shown = folder): void {
  const holder = liveHolder(join(folder, LOCK_FILE));
  if (holder !== null) {
    throw new UsageError(
      `${flag} '${shown}' is in use by another run (process ${holder.pid} on ${holder.host}, started ${holder.started}); wait for it to end or choose another ${flag}`,
    );
  }
}

/** The record of a lock held by a live process, or null when the lock is stale (or vanished). */
function liveHolder(path: string): LockRecord | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  let record: LockRecord | null = null;
  try {
    record = JSON.parse(text) as LockRecord;
  } catch {
    record = null;
  }
  // A lock appears with its record (acquire links it into place whole): one without is garbage.
  if (record === null || typeof record.pid !== 'number') return null;
  // Another machine's process cannot be looked at from here: its lock counts as held.
  if (record.host !== hostname()) return record;
  return processAlive(record.pid) ? record : null;
}
