/**
 * The per-episode metrics.csv format: a pure formatter and parser (browser-safe). The Node
 * appender that writes it as training runs is in ./node/csv-appender.ts.
 */
import { InvalidArgumentError } from '../errors.js';

/** The columns of metrics.csv, in file order. */
export const METRICS_COLUMNS = ['episode', 'steps', 'return', 'length', 'epsilon', 'loss', 'wall_time_s'] as const;

/** One finished episode. */
export interface EpisodeMetrics {
  /** 1-based episode number. */
  episode: number;
  /** Environment steps taken so far in the run (after this episode). */
  steps: number;
  /** Undiscounted return of the episode (the environment's reward, not a shaped one). */
  return: number;
  /** Steps in the episode. */
  length: number;
  /** Exploration rate at the end of the episode. */
  epsilon: number;
  /** Latest training loss read back (NaN when it was NaN), or null before the first update. */
  loss: number | null;
  /** Seconds since the run started. */
  wallTimeS: number;
}

/** The header line, with its newline. */
export function formatMetricsHeader(): string {
  return `${METRICS_COLUMNS.join(',')}\n`;
}

/**
 * Formats a number compactly: integers as they are, others with up to `digits` significant
 * digits and no trailing zeros (0.0123457, 1.5e-7); null and undefined (no value) as an empty
 * cell, NaN as 'nan' (a value, as a diverged loss is).
 */
export function formatCompact(value: number | null | undefined, digits = 6): string {
  if (value === null || value === undefined) return '';
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const text = value.toPrecision(digits);
  const [mantissa, exponent] = text.split('e');
  const trimmed = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
  if (exponent === undefined) return trimmed;
  return `${trimmed}e${exponent.replace(/^\+/, '')}`;
}

/** One CSV row for an episode, with its newline. */
export function formatMetricsRow(row: EpisodeMetrics): string {
  return [
    formatCompact(row.episode),
    formatCompact(row.steps),
    formatCompact(row.return),
    formatCompact(row.length),
    formatCompact(row.epsilon),
    formatCompact(row.loss),
    formatCompact(Math.round(row.wallTimeS * 1000) / 1000),
  ].join(',') + '\n';
}

/** Parses a metrics.csv text (header required; a torn last line is ignored). */
export function parseMetricsCsv(text: string, fileName = 'metrics.csv'): EpisodeMetrics[] {
  const lines = text.split('\n');
  const header = lines[0]?.trim();
  if (header !== METRICS_COLUMNS.join(',')) {
    throw new InvalidArgumentError(`${fileName}: unexpected header '${header ?? ''}', expected '${METRICS_COLUMNS.join(',')}'`);
  }
  const rows: EpisodeMetrics[] = [];
  const complete = lines.length - 1; // the last piece is '' (text ends with a newline) or a torn row
  for (let i = 1; i < complete; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const cells = line.split(',');
    if (cells.length !== METRICS_COLUMNS.length) {
      throw new InvalidArgumentError(`${fileName}: line ${i + 1} has ${cells.length} cells, expected ${METRICS_COLUMNS.length}`);
    }
    const num = (s: string): number => (s === '' || s === 'nan' ? NaN : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s));
    const loss = num(cells[5]);
    rows.push({
      episode: num(cells[0]),
      steps: num(cells[1]),
      return: num(cells[2]),
      length: num(cells[3]),
      epsilon: num(cells[4]),
      loss: cells[5] === '' ? null : loss,
      wallTimeS: num(cells[6]),
    });
  }
  return rows;
}
