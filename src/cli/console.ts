/** The CLI's own lines on stdout (progress has its own reporter, errors go to stderr from bin/). */

export function say(text: string): void {
  process.stdout.write(text + '\n');
}
