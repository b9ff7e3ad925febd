/**
 * The browser page's modules that are not tied to the DOM: the worker protocol, the worker's
 * training session, the conformance cases and the env state renderer. (The page itself is
 * src/web/main.ts + app.ts, bundled by scripts/build-web.ts.)
 */
export type { BackendInfo, TrainingCounters, EnvSnapshot, GreedyEpisode, WorkerRequest, WorkerMessage, RequestMessage, ReplyValues } from './protocol.js';
export { TrainingSession, openPageBackend, type PostMessage, type TrainingSessionOptions } from './training-session.js';
export { runConformanceCases, runOpCase, runTrainingCase, CONFORMANCE_AGENT, CONFORMANCE_UPDATES, type ConformanceResult } from './conformance-case.js';
export { EnvStateRenderer, captureEnvState, renderFps } from './env-view.js';
