/**
 * Where the page takes a custom env module from (docs/web.md, "A custom env"): a URL on the page's
 * own origin, or source text pasted into the page. The module's code runs in the training worker
 * (no DOM, but the page's origin: its storage and its network access), so a URL must be the
 * page's own origin: code another site serves is not run here. Pasted text is the user's own code
 * in their own tab. The page checks the rule before it asks, and the worker again before it imports.
 */
import { InvalidArgumentError } from '../errors.js';

/** A module as the page sends it to the worker. */
export type EnvModuleSource = { kind: 'url'; url: string } | { kind: 'text'; text: string };

/** The env menu's value for "Custom module…" (the page's custom env panel). */
export const CUSTOM_ENV_CHOICE = 'custom-module';

/** How a pasted module is named in messages. */
export const PASTED_MODULE_NAME = 'pasted module';

/** The id a pasted module registers when it exports no `id`. */
export const PASTED_MODULE_DEFAULT_ID = 'pasted-env';

/**
 * `input` (relative to `pageUrl`, or absolute) as an absolute http(s) URL on `pageUrl`'s origin;
 * anything else (another origin, data:, blob:, javascript:, an unparsable string) is refused with
 * InvalidArgumentError saying why.
 */
export function sameOriginModuleUrl(input: string, pageUrl: string): string {
  const text = input.trim();
  if (text === '') throw new InvalidArgumentError('env module URL: the field is empty; give a URL on this page\'s origin (./my-env.js), or paste the module\'s source');
  let url: URL;
  try {
    url = new URL(text, pageUrl);
  } catch {
    throw new InvalidArgumentError(`env module URL '${text}' is not a URL`);
  }
  const page = new URL(pageUrl);
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== page.origin) {
    throw new InvalidArgumentError(
      `env module URL '${text}' is refused: it is not on this page's origin (${page.origin}), and the module's code would run in the training worker with this page's origin. Serve the module from this origin, or paste its source`,
    );
  }
  return url.href;
}

/** The id a module at `url` registers when it exports none: its file's name without the extension (as the CLI's defaultEnvId). */
export function defaultIdOfUrl(url: string): string {
  const file = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  const dot = file.lastIndexOf('.');
  const stem = dot > 0 ? file.slice(0, dot) : file;
  return stem === '' ? 'custom-env' : stem;
}
