/**
 * Appends metrics.csv rows as training runs (Node only). Every row is written with a
 * synchronous write straight to the file descriptor, so when the process dies (crash, kill,
 * Ctrl-C) every row appended before is in the file; at worst the row being written is torn,
 * and parseMetricsCsv ignores a torn last line.
 *
 * The file is never written through a symbolic link: a new file is created atomically (which
 * replaces a link at its name) and opened without following links (no-follow.ts).
 */
import { closeSync, fstatSync, fsyncSync, writeSync } from 'node:fs';
import { writeFileAtomicSync } from '../../io/node/atomic-write.js';
import { fileAccessError } from '../../io/node/fs-errors.js';
import { openForAppendNoFollow } from '../../io/node/no-follow.js';
import { formatMetricsHeader, formatMetricsRow, type EpisodeMetrics } from '../csv-log.js';

/** Options for {@link MetricsCsvAppender}. */
export interface MetricsCsvAppenderOptions {
  /** Keep existing rows and append (for --resume); default false truncates. */
  append?: boolean;
  /** fsync after every row too (survives power loss; slower). Default false. */
  fsyncEachRow?: boolean;
}

/** Writes metrics.csv one episode at a time. */
export class MetricsCsvAppender {
  private fd: number | undefined;
  private readonly fsyncEachRow: boolean;

  /** Opens (creating folders) `path`; writes the header if the file is new or empty. */
  constructor(readonly path: string, options: MetricsCsvAppenderOptions = {}) {
    if (!options.append) writeFileAtomicSync(path, '');
    this.fd = openForAppendNoFollow(path);
    this.fsyncEachRow = options.fsyncEachRow ?? false;
    if (fstatSync(this.fd).size === 0) this.write(formatMetricsHeader());
  }

  /** Appends one row; it is in the file when this returns. Failures (a full disk) name the file. */
  append(row: EpisodeMetrics): void {
    this.write(formatMetricsRow(row));
    if (this.fsyncEachRow && this.fd !== undefined) {
      try {
        fsyncSync(this.fd);
      } catch (error) {
        throw fileAccessError(error, 'write', this.path);
      }
    }
  }

  /** Flushes to disk and closes. Idempotent. */
  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      fsyncSync(fd);
    } catch (error) {
      throw fileAccessError(error, 'write', this.path);
    } finally {
      closeSync(fd);
    }
  }

  private write(text: string): void {
    if (this.fd === undefined) throw new Error(`MetricsCsvAppender: ${this.path} is closed`);
    const bytes = new TextEncoder().encode(text);
    let written = 0;
    try {
      while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written);
    } catch (error) {
      throw fileAccessError(error, 'write', this.path);
    }
  }
}
