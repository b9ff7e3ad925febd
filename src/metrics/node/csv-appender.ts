/**
 * Appends metrics.csv rows as training runs (Node only). Every row is written with a
 * synchronous write straight to the file descriptor, so when the process dies (crash, kill,
 * Ctrl-C) every row appended before is in the file; at worst the row being written is torn,
 * and parseMetricsCsv ignores a torn last line.
 */
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
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
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, options.append ? 'a' : 'w');
    this.fsyncEachRow = options.fsyncEachRow ?? false;
    if (fstatSync(this.fd).size === 0) this.write(formatMetricsHeader());
  }

  /** Appends one row; it is in the file when this returns. */
  append(row: EpisodeMetrics): void {
    this.write(formatMetricsRow(row));
    if (this.fsyncEachRow && this.fd !== undefined) fsyncSync(this.fd);
  }

  /** Flushes to disk and closes. Idempotent. */
  close(): void {
    if (this.fd === undefined) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
  }

  private write(text: string): void {
    if (this.fd === undefined) throw new Error(`MetricsCsvAppender: ${this.path} is closed`);
    const bytes = new TextEncoder().encode(text);
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written);
  }
}
