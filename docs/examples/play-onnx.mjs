// Plays CartPole-v1 with a policy exported by `--mode export`, in onnxruntime-node:
//   node play-onnx.mjs policy.onnx
// The env is the engine's; the policy needs only onnxruntime-node and the .onnx file.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { make } from 'webgpu-rl-engine';

const session = await ort.InferenceSession.create(readFileSync(process.argv[2] ?? 'policy.onnx'));
console.log(`inputs: ${session.inputNames.join(', ')}; outputs: ${session.outputNames.join(', ')}`);

const env = make('CartPole-v1');
let [observation] = env.reset({ seed: 0 });
let total = 0;
for (;;) {
  // One observation is a batch of one row: float32 [1, obsDim].
  const feeds = { observation: new ort.Tensor('float32', observation, [1, observation.length]) };
  const { action } = await session.run(feeds);
  // `action` is int64 (a BigInt64Array): the greedy action of each row.
  const [next, reward, terminated, truncated] = env.step(Number(action.data[0]));
  total += reward;
  observation = next;
  if (terminated || truncated) break;
}
console.log(`return: ${total}`);
await session.release();
