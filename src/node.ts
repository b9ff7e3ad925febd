/** Node-only additions to the public API: atomic file writes and the metrics.csv appender. */
export * from './io/node/index.js';
