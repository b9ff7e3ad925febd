import { describe, expect, it } from 'vitest';
import { make } from '../src/envs/index.js';
import { cosFloat32, sinFloat32 } from '../src/envs/float32-trig.js';
import { Rng } from '../src/random/index.js';

// [x, np.cos(np.float32(x)), np.sin(np.float32(x))] from NumPy 2.4.6 (x86-64, AVX512). The first 12
// are inputs in Acrobot's reset range where fround(Math.cos/sin(x)) is 1 ulp off NumPy.
const NUMPY: [number, number, number][] = [
  [0.08205317705869675, 0.9966355562210083, 0.08196113258600235], [-0.07250180095434189, 0.9973728656768799, -0.0724382996559143],
  [-0.09106580168008804, 0.9958563446998596, -0.09093998372554779], [-0.056230295449495316, 0.998419463634491, -0.05620066821575165],
  [0.09547276049852371, 0.995445966720581, 0.09532778710126877], [-0.08818429708480835, 0.9961142539978027, -0.08807004988193512],
  [-0.08591409027576447, 0.9963116645812988, -0.08580843359231949], [-0.07548706233501434, 0.9971522092819214, -0.07541538774967194],
  [0.06867796182632446, 0.9976425766944885, 0.06862398236989975], [-0.07117164880037308, 0.9974683523178101, -0.07111157476902008],
  [-0.07369732111692429, 0.9972856044769287, -0.07363062351942062], [-0.05495348200201988, 0.9984904527664185, -0.0549258254468441],
  [156.2942352294922, 0.7071073055267334, -0.7071062326431274], [-3.0, -0.9899924993515015, -0.14112000167369843],
  [1.570796251296997, 7.549790126404332e-8, 1.0], [100.25, 0.9607883095741272, -0.27728286385536194],
  [-71000.5, 0.8746762275695801, -0.48470765352249146],
];

describe("NumPy's float32 cos/sin", () => {
  it('match NumPy on inputs where the float64 route is 1 ulp off', () => {
    let naiveMisses = 0;
    for (const [x, c, s] of NUMPY) {
      expect([cosFloat32(x), sinFloat32(x)], `x=${x}`).toEqual([c, s]);
      if (Math.fround(Math.cos(x)) !== c || Math.fround(Math.sin(x)) !== s) naiveMisses++;
    }
    expect(naiveMisses).toBeGreaterThanOrEqual(12);
  });

  it('stay within 1 float32 ulp of the float64 route and are odd/even', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 2000; i++) {
      const x = Math.fround(rng.uniform(-10, 10));
      expect(Math.abs(cosFloat32(x) - Math.cos(x))).toBeLessThan(2 ** -23);
      expect(Math.abs(sinFloat32(x) - Math.sin(x))).toBeLessThan(2 ** -23);
      expect(cosFloat32(-x)).toBe(cosFloat32(x));
      expect(sinFloat32(-x)).toBe(-sinFloat32(x));
    }
    expect(Number.isNaN(cosFloat32(NaN))).toBe(true);
  });

  it('Acrobot reset obs equals Gymnasium for seeds where the float64 route is off (835, 1506, 1692)', () => {
    // np.array([cos(s[0]), sin(s[0]), cos(s[1]), sin(s[1]), s[2], s[3]], float32) with
    // s = default_rng(seed).uniform(-0.1, 0.1, 4).astype(float32), as AcrobotEnv.reset computes it.
    const expected: Record<number, number[]> = {
      835: [0.9974733591079712, 0.07104109972715378, 0.9992145299911499, 0.03962766379117966, -0.035897769033908844, -0.07039622217416763],
      1506: [0.9965018630027771, -0.08357064425945282, 0.9963037967681885, 0.0858994722366333, 0.016909142956137657, -0.021901743486523628],
      1692: [0.9960013031959534, -0.08933904021978378, 0.999910831451416, -0.013356149196624756, -0.027969636023044586, -0.07081568986177444],
    };
    const env = make('Acrobot-v1');
    for (const [seed, obs] of Object.entries(expected)) expect(Array.from(env.reset({ seed: Number(seed) })[0])).toEqual(obs);
  });

  it("Acrobot's reset obs uses them", () => {
    const env = make('Acrobot-v1');
    for (let seed = 0; seed < 30; seed++) {
      const [obs] = env.reset({ seed });
      const s = (env.unwrapped as unknown as { state: Float64Array }).state;
      expect(Array.from(obs.subarray(0, 4))).toEqual([cosFloat32(s[0]), sinFloat32(s[0]), cosFloat32(s[1]), sinFloat32(s[1])]);
    }
  });
});
