/**
 * Where shader text comes from in a browser bundle: every shaders/*.wgsl inlined as a string by
 * esbuild's `text` loader; the bundle puts this module where shader-sources-node.ts is imported
 * (see web-build.ts). Never imported in Node.
 */
import elementwise from '../../../shaders/elementwise.wgsl';
import matmul from '../../../shaders/matmul.wgsl';
import biasActivation from '../../../shaders/bias-activation.wgsl';
import activationBackward from '../../../shaders/activation-backward.wgsl';
import reduce from '../../../shaders/reduce.wgsl';
import gatherScatter from '../../../shaders/gather-scatter.wgsl';
import dueling from '../../../shaders/dueling.wgsl';
import loss from '../../../shaders/loss.wgsl';
import adam from '../../../shaders/adam.wgsl';
import sgd from '../../../shaders/sgd.wgsl';
import linear from '../../../shaders/linear.wgsl';
import linearSubgroup from '../../../shaders/linear-subgroup.wgsl';
import tdLoss from '../../../shaders/td-loss.wgsl';
import layerNorm from '../../../shaders/layer-norm.wgsl';
import returns from '../../../shaders/returns.wgsl';
import ppoLoss from '../../../shaders/ppo-loss.wgsl';
import cartpoleStep from '../../../shaders/cartpole-step.wgsl';
import acrobotStep from '../../../shaders/acrobot-step.wgsl';
import mountainCarStep from '../../../shaders/mountain-car-step.wgsl';
import deviceEnv from '../../../shaders/device-env.wgsl';
import philox from '../../../shaders/philox.wgsl';
import sinCos32 from '../../../shaders/sin-cos32.wgsl';
import epsilonGreedy from '../../../shaders/epsilon-greedy.wgsl';
import gae from '../../../shaders/gae.wgsl';
import policySample from '../../../shaders/policy-sample.wgsl';
import gatherRows from '../../../shaders/gather-rows.wgsl';
import activations from '../../../shaders/activations.wgsl';
import subgroupLanes4 from '../../../shaders/subgroup-lanes4.wgsl';
import subgroupLanes8 from '../../../shaders/subgroup-lanes8.wgsl';
import type { ShaderFile } from './kernels.js';

const SOURCES: Record<ShaderFile, string> = {
  elementwise,
  matmul,
  'bias-activation': biasActivation,
  'activation-backward': activationBackward,
  reduce,
  'gather-scatter': gatherScatter,
  dueling,
  loss,
  adam,
  sgd,
  linear,
  'linear-subgroup': linearSubgroup,
  'td-loss': tdLoss,
  'layer-norm': layerNorm,
  returns,
  'ppo-loss': ppoLoss,
  'cartpole-step': cartpoleStep,
  'acrobot-step': acrobotStep,
  'mountain-car-step': mountainCarStep,
  'sin-cos32': sinCos32,
  'device-env': deviceEnv,
  'epsilon-greedy': epsilonGreedy,
  gae,
  'policy-sample': policySample,
  'gather-rows': gatherRows,
  philox,
  activations,
  'subgroup-lanes4': subgroupLanes4,
  'subgroup-lanes8': subgroupLanes8,
};

/** The WGSL text of shaders/NAME.wgsl, bundled. */
export function loadShaderSource(file: ShaderFile): Promise<string> {
  return Promise.resolve(SOURCES[file]);
}
