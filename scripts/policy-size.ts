/**
 * The size of the policy runtime as a page ships it: `webgpu-rl-engine/policy` (the built dist/,
 * through package.json's exports) bundled by esbuild, minified, ESM, for the browser; with fflate,
 * without it (the runtime's own code), and fflate's parts alone for comparison. Prints JSON:
 *
 *   npm run build && npm run size:policy
 */
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface BundleSize {
  /** Minified bytes. */
  bytes: number;
  /** The same, gzipped at level 9. */
  gzip: number;
}

export interface PolicyBundle extends BundleSize {
  /** The minified bundle's text. */
  text: string;
  /** The files esbuild read to make it (relative to the package root). */
  inputs: string[];
}

export interface PolicySize {
  /** `import { loadPolicy } from 'webgpu-rl-engine/policy'`, fflate included. */
  policy: BundleSize;
  /** The same with fflate left out (external): the runtime's own code. */
  runtime: BundleSize;
  /** fflate's unzipSync alone (the smallest way to read an .npz with fflate). */
  fflateUnzip: BundleSize;
  /** fflate's inflate alone (what the runtime's zip reader imports from it). */
  fflateInflate: BundleSize;
}

/** Bundles `contents` (an ES module resolved from the package root) as a page would. */
export async function bundle(contents: string, external: string[] = []): Promise<PolicyBundle> {
  const result = await build({
    stdin: { contents, resolveDir: ROOT, loader: 'js', sourcefile: 'entry.js' },
    absWorkingDir: ROOT,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    external,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const bytes = result.outputFiles[0].contents;
  return { bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, text: new TextDecoder().decode(bytes), inputs: Object.keys((result.metafile as Metafile).inputs) };
}

/** The entry a page or program writes to use the runtime. */
export const POLICY_ENTRY = "export { loadPolicy } from 'webgpu-rl-engine/policy';";

const size = ({ bytes, gzip }: BundleSize): BundleSize => ({ bytes, gzip });

export async function measurePolicySize(): Promise<PolicySize> {
  return {
    policy: size(await bundle(POLICY_ENTRY)),
    runtime: size(await bundle(POLICY_ENTRY, ['fflate'])),
    fflateUnzip: size(await bundle("export { unzipSync } from 'fflate';")),
    fflateInflate: size(await bundle("export { Inflate, inflateSync } from 'fflate';")),
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(JSON.stringify(await measurePolicySize(), null, 2));
}
