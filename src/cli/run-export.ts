/**
 * `--mode export --load FILE --export policy.onnx`: the ONNX model of a weights file's policy
 * (src/export, docs/export.md), written atomically. No backend is opened: the export reads the
 * file and writes protobuf. Every flag but --mode, --load, --export and --activation (the hidden
 * activation of a file that records no network, numpy-rl-engine's; default relu) is refused (they
 * would mean nothing here), as are a missing --load, a file that is not a policy and an --export that cannot be
 * written: exit code 2, one line naming the flag and the file.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { errorMessage } from '../errors.js';
import { checkActivation } from '../nn/activations.js';
import type { OnnxValue } from '../export/onnx-graph.js';
import { writeFileAtomic } from '../io/node/atomic-write.js';
import { UsageError } from './cli-errors.js';
import { DEFAULT_EXPORT_FILE, type CliOptions } from './command.js';
import { say, shown } from './console.js';
import { checkDistinctPaths, checkOutputFile, readInputFile } from './output-paths.js';

/** The flags --mode export reads (by commander's attribute names); --activation only for a file that records no network. */
const EXPORT_FLAGS: readonly string[] = ['mode', 'load', 'export', 'activation'];

/** Throws UsageError when --export is given outside --mode export (it would be silently ignored). */
export function refuseExportFlag(program: Command, options: Pick<CliOptions, 'mode'>): void {
  if (program.getOptionValueSource('export') === 'cli') {
    throw new UsageError(`--export writes an ONNX model in --mode export only; with --mode ${options.mode} nothing is exported (use --mode export --load FILE --export FILE)`);
  }
}

/** The engine's version (package.json's), recorded as the model's producer_version. */
function packageVersion(): string {
  // dist/cli/run-export.js and src/cli/run-export.ts are both two folders below the package root.
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return String((JSON.parse(text) as { version?: unknown }).version ?? '');
}

function describeValue(value: OnnxValue): string {
  return `${value.name} ${value.dtype}[${value.shape.join(', ')}]`;
}

export async function runExport(program: Command, options: CliOptions): Promise<number> {
  const given = program.options.filter((option) => {
    const key = option.attributeName();
    // Of a --video / --no-video pair, the one whose value was given.
    return program.getOptionValueSource(key) === 'cli' && !EXPORT_FLAGS.includes(key) && option.negate === (program.getOptionValue(key) === false);
  });
  if (given.length > 0) {
    throw new UsageError(`--mode export reads only --load FILE, --export FILE (and --activation, for a file that records no network); ${given.map((option) => option.long).join(', ')} ${given.length === 1 ? 'means' : 'mean'} nothing to it (the file's record decides the network)`);
  }
  const activation = program.getOptionValueSource('activation') === 'cli' ? checkActivation(String(program.getOptionValue('activation'))) : undefined;
  if (typeof options.load !== 'string') {
    throw new UsageError(`--mode export needs --load FILE: the weights .npz whose policy is exported (to --export, default ${DEFAULT_EXPORT_FILE})`);
  }
  const load = options.load;
  const bytes = readInputFile(load, '--load');
  const target = checkOutputFile(options.export, '--export');
  checkDistinctPaths([{ flag: '--load', path: load }], [{ flag: '--export', path: options.export }]);
  // Loaded here, not with the CLI: training and evaluation never load the ONNX schema (protobufjs).
  const { buildOnnxExport, ONNX_OPSET } = await import('../export/onnx-export.js');
  let exported;
  try {
    exported = buildOnnxExport(bytes, { fileName: load, producerVersion: packageVersion(), activation });
  } catch (error) {
    throw new UsageError(`--load '${load}' is not a policy to export: ${errorMessage(error)}`);
  }
  const recorded = exported.policy.network.activation;
  if (activation !== undefined && recorded !== activation) {
    throw new UsageError(`--load '${load}' does not fit --activation ${activation} (the file's network has ${recorded}); leave the flag out to use the file's value`);
  }
  await writeFileAtomic(target, exported.model);
  const { policy, inputs, outputs } = exported;
  say(
    `exported ${policy.algorithm} ${policy.kind} policy of ${load}${policy.env !== null ? ` (${policy.env})` : ''} to ${shown(options.export)}: ${exported.model.length} bytes, ONNX opset ${ONNX_OPSET}; input ${inputs.map(describeValue).join(', ')}; outputs ${outputs.map(describeValue).join(', ')}`,
  );
  for (const note of policy.notes) say(`note: ${note}`);
  return 0;
}
