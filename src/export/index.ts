/**
 * `webgpu-rl-engine/export`: a trained policy's weights file as an ONNX model (what
 * `--mode export` writes; docs/export.md has the inputs, outputs and graph of each algorithm).
 */
export { exportOnnx, buildOnnxExport, ONNX_OPSET, ONNX_IR_VERSION, OBSERVATION_INPUT, type ExportOptions, type OnnxExport } from './onnx-export.js';
export type { ExportedPolicy, PolicyKind, ActionBounds } from './exported-policy.js';
export type { OnnxValue, OnnxDtype, OnnxDim } from './onnx-graph.js';
