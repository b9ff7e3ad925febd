/** The presets: each valid, the one rule that picks them (presetFor) and the one that makes vector flavours. */
import { describe, expect, it } from 'vitest';
import { PRESETS, PRESET_NAMES, presetFor, validateConfig, vectorFlavour, VECTOR_ENVS } from '../src/rl/config.js';

describe('presets', () => {
  it('are all valid configs', () => {
    for (const name of PRESET_NAMES) expect(() => validateConfig(PRESETS[name]), name).not.toThrow();
  });

  it('are picked by env, in their vector flavour on WebGPU', () => {
    expect(presetFor('CartPole-v1', 'cpu')).toBe('default');
    expect(presetFor('CartPole-v1', 'auto')).toBe('default');
    expect(presetFor('CartPole-v1', 'webgpu')).toBe('vector');
    expect(presetFor('Acrobot-v1', 'cpu')).toBe('acrobot');
    expect(presetFor('Acrobot-v1', 'webgpu')).toBe('acrobot-vector');
    expect(presetFor('MountainCar-v0', 'cpu')).toBe('mountain-car');
    expect(presetFor('CartPolePoleDown-v1', 'webgpu')).toBe('pole-down-vector');
    // An env without presets of its own trains with CartPole-v1's (its env field set by the caller).
    expect(presetFor('CartPole-v0', 'cpu')).toBe('default');
    for (const name of PRESET_NAMES) {
      const p = PRESETS[name];
      if (name !== 'seed') expect([presetFor(p.env, 'cpu'), presetFor(p.env, 'webgpu')], name).toContain(name);
    }
  });

  it('have vector flavours with the same updates per env step and everything else unchanged', () => {
    for (const [single, vector] of [['default', 'vector'], ['acrobot', 'acrobot-vector'], ['mountain-car', 'mountain-car-vector'], ['pole-down', 'pole-down-vector']] as const) {
      const a = PRESETS[single];
      const b = PRESETS[vector];
      expect(b.numEnvs).toBe(VECTOR_ENVS);
      expect(b.gradientSteps / (b.trainFreq * b.numEnvs)).toBe(a.gradientSteps / (a.trainFreq * a.numEnvs));
      expect({ ...b, numEnvs: a.numEnvs, trainFreq: a.trainFreq, gradientSteps: a.gradientSteps }).toEqual(a);
    }
    expect(PRESETS.vector).toMatchObject({ numEnvs: 16, trainFreq: 1, gradientSteps: 8 });
    expect(() => vectorFlavour({ ...PRESETS.default, trainFreq: 3 })).toThrow(/not an integer/);
  });
});
