// Preloaded into a Node child by the tests (NODE_OPTIONS=--require, see peak-memory.ts): when the
// child exits, its peak resident set (VmHWM, KiB) and the CPU time it used (ms) go to the file
// USAGE_FILE names, as JSON.
const { readFileSync, writeFileSync } = require('node:fs');

process.on('exit', () => {
  const file = process.env.USAGE_FILE;
  const peak = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  const { user, system } = process.cpuUsage();
  if (file && peak) writeFileSync(file, JSON.stringify({ peakKiB: Number(peak[1]), cpuMs: (user + system) / 1000 }));
});
