/**
 * What the CLI keeps in every checkpoint besides the trainer's state (RunInfo.frontEnd), so that
 * `--resume` continues the run as it was started, from any folder: where the weights and the GIF
 * go, the checkpoint interval, the final evaluation, and the metrics and evaluation rows up to the
 * checkpoint (so resuming into another --out keeps the earlier rows). A flag given on the resuming
 * command line still wins for the file options (they do not change what is trained).
 */
import type { JsonValue } from '../io/checkpoint.js';
import type { EpisodeMetrics } from '../metrics/csv-log.js';
import { UsageError } from './cli-errors.js';
import type { EvaluationRow } from './run-folder.js';

export interface CliRunRecord {
  /** --save, absolute. */
  save: string;
  /** --video, absolute, or null (--no-video). */
  video: string | null;
  checkpointEvery: number;
  finalEvalEpisodes: number;
  logEvery: number;
  /** metrics.csv rows up to the checkpoint. */
  episodes: EpisodeMetrics[];
  /** evaluations.csv rows up to the checkpoint. */
  evaluations: EvaluationRow[];
  /** Where a custom env's module came from (loadEnvModule's source: an absolute path or a package specifier), so --resume loads it again; null for a built-in env (and in checkpoints from before custom envs). */
  envSource: string | null;
}

const finiteOrNull = (x: number | null): number | null => (x !== null && Number.isFinite(x) ? x : null);

export function encodeRunRecord(record: CliRunRecord): JsonValue {
  return {
    save: record.save,
    video: record.video,
    checkpointEvery: record.checkpointEvery,
    finalEvalEpisodes: record.finalEvalEpisodes,
    logEvery: record.logEvery,
    envSource: record.envSource,
    // Compact rows; JSON has no NaN, so a missing or non-finite value is null.
    episodes: record.episodes.map((r) => [r.episode, r.steps, r.return, r.length, r.epsilon, finiteOrNull(r.loss), r.wallTimeS].map(finiteOrNull)),
    evaluations: record.evaluations.map((e) => [e.steps, e.meanReturn, e.stdReturn].map(finiteOrNull)),
  };
}

/** The record in a checkpoint's RunInfo.frontEnd (null for checkpoints written before it existed); throws UsageError naming the field. */
export function decodeRunRecord(value: JsonValue | undefined, fileName: string): CliRunRecord | null {
  if (value === undefined) return null;
  const bad = (field: string): never => {
    throw new UsageError(`--resume '${fileName}': checkpoint field 'run.frontEnd.${field}' is damaged`);
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return bad('(all)');
  const v = value as Record<string, JsonValue>;
  const text = (field: string): string => (typeof v[field] === 'string' && v[field] !== '' ? (v[field] as string) : bad(field));
  const count = (field: string): number => (typeof v[field] === 'number' && Number.isSafeInteger(v[field]) && (v[field] as number) >= 0 ? (v[field] as number) : bad(field));
  const rows = (field: string, width: number): (number | null)[][] => {
    const list = v[field];
    if (!Array.isArray(list)) return bad(field);
    return list.map((row) => {
      if (!Array.isArray(row) || row.length !== width || row.some((x) => x !== null && typeof x !== 'number')) return bad(field);
      return row as (number | null)[];
    });
  };
  const num = (x: number | null) => (x === null ? Number.NaN : x);
  return {
    save: text('save'),
    video: v.video === null ? null : text('video'),
    checkpointEvery: count('checkpointEvery'),
    finalEvalEpisodes: count('finalEvalEpisodes'),
    logEvery: count('logEvery'),
    envSource: v.envSource === undefined || v.envSource === null ? null : text('envSource'),
    episodes: rows('episodes', 7).map(([episode, steps, ret, length, epsilon, loss, wall]) => ({
      episode: num(episode),
      steps: num(steps),
      return: num(ret),
      length: num(length),
      epsilon: num(epsilon),
      loss,
      wallTimeS: num(wall),
    })),
    evaluations: rows('evaluations', 3).map(([steps, mean, std]) => ({ steps: num(steps), meanReturn: num(mean), stdReturn: num(std) })),
  };
}
