#!/usr/bin/env node
// The training CLI. The compiled engine lives in dist/ (built by `npm install` through the prepare script).
import { main } from '../dist/cli/train.js';

main(process.argv).catch((error) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
