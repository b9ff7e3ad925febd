import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatCompact, formatMetricsHeader, formatMetricsRow, METRICS_COLUMNS, parseMetricsCsv, type EpisodeMetrics } from '../src/metrics/csv-log.js';
import { MetricsCsvAppender } from '../src/metrics/node/csv-appender.js';

const dir = mkdtempSync(join(tmpdir(), 'csv-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const row = (episode: number, extra: Partial<EpisodeMetrics> = {}): EpisodeMetrics => ({
  episode,
  steps: episode * 20,
  return: 20,
  length: 20,
  epsilon: 0.995 ** episode,
  loss: episode > 1 ? 0.123456789 / episode : null,
  wallTimeS: episode * 0.0123,
  ...extra,
});

describe('metrics.csv format', () => {
  it('has a fixed header and compact cells', () => {
    expect(formatMetricsHeader()).toBe('episode,steps,return,length,epsilon,loss,wall_time_s\n');
    expect(METRICS_COLUMNS).toHaveLength(7);
    expect(formatMetricsRow(row(1))).toBe('1,20,20,20,0.995,,0.012\n');
    expect(formatMetricsRow(row(3, { return: -12.5 }))).toBe('3,60,-12.5,20,0.985075,0.0411523,0.037\n');
    expect(formatCompact(1.5e-7)).toBe('1.5e-7');
    expect(formatCompact(123456789.5)).toBe('1.23457e8');
    expect(formatCompact(0.1 + 0.2)).toBe('0.3');
    expect(formatCompact(NaN)).toBe('nan');
    expect(formatCompact(null)).toBe('');
    expect(formatCompact(-Infinity)).toBe('-inf');
    expect(formatCompact(1e21)).toBe('1e21');
  });

  it('parses what it writes and ignores a torn last line', () => {
    const text = formatMetricsHeader() + [1, 2, 3].map((e) => formatMetricsRow(row(e))).join('') + '4,80,2';
    const rows = parseMetricsCsv(text);
    expect(rows.map((r) => r.episode)).toEqual([1, 2, 3]);
    expect(rows[0].loss).toBeNull();
    expect(rows[2].loss).toBeCloseTo(0.0411523, 7);
    expect(() => parseMetricsCsv('a,b\n1,2\n', 'm.csv')).toThrow(/m\.csv: unexpected header 'a,b'/);
    expect(() => parseMetricsCsv(formatMetricsHeader() + '1,2\n', 'm.csv')).toThrow(/m\.csv: line 2 has 2 cells, expected 7/);
  });
});

describe('MetricsCsvAppender', () => {
  it('writes the header once, appends rows, and continues a file in append mode', () => {
    const path = join(dir, 'run', 'metrics.csv');
    const log = new MetricsCsvAppender(path);
    log.append(row(1));
    log.append(row(2));
    log.close();
    log.close();
    const resumed = new MetricsCsvAppender(path, { append: true });
    resumed.append(row(3));
    resumed.close();
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n').filter((l) => l.startsWith('episode,'))).toHaveLength(1);
    expect(parseMetricsCsv(text).map((r) => r.episode)).toEqual([1, 2, 3]);
    // Without append the file starts over.
    new MetricsCsvAppender(path).close();
    expect(readFileSync(path, 'utf8')).toBe(formatMetricsHeader());
    expect(() => log.append(row(4))).toThrow(/is closed/);
  });

  it('has every appended row on disk when the process is killed', async () => {
    const path = join(dir, 'killed.csv');
    const child = join(dir, 'logger.ts');
    const modulePath = fileURLToPath(new URL('../src/metrics/node/csv-appender.ts', import.meta.url));
    // Appends 50 rows, reports it, then hangs until killed (never closing the file).
    writeFileSync(
      child,
      `import { MetricsCsvAppender } from ${JSON.stringify(modulePath)};
const log = new MetricsCsvAppender(${JSON.stringify(path)});
for (let e = 1; e <= 50; e++) log.append({ episode: e, steps: e, return: e, length: 1, epsilon: 1, loss: null, wallTimeS: 0 });
process.stdout.write('done\\n');
setInterval(() => {}, 1000);
`,
    );
    const proc = spawn(process.execPath, ['--import', 'tsx', child], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => proc.stdout.once('data', () => resolve()));
    proc.kill('SIGKILL');
    await new Promise((resolve) => proc.once('exit', resolve));
    const rows = parseMetricsCsv(readFileSync(path, 'utf8'));
    expect(rows).toHaveLength(50);
    expect(rows[49].return).toBe(50);
  });
});
