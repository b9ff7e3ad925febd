/**
 * The page's side of a custom env: its module runs only in the training worker, so the page
 * registers, under the env's id, an env that has the spaces and spec the worker reported and
 * nothing else. The settings form then checks a config of that env as it checks a built-in one
 * (the env menu's choices, a Discrete-only algorithm refused on a Box env with the usual message);
 * stepping it is an error, as nothing of the module runs in the page.
 */
import { toActionSpace, toObservationSpace } from '../envs/custom-env.js';
import { Env } from '../envs/env.js';
import { register } from '../envs/registry.js';
import type { ActionSpace, Box } from '../envs/spaces.js';
import type { Info, RgbFrame } from '../envs/types.js';
import type { LoadedEnvModule } from './protocol.js';

class DescribedEnv extends Env<ActionSpace> {
  constructor(
    private readonly id: string,
    private readonly observation: Box,
    private readonly action: ActionSpace,
  ) {
    super();
  }
  get observationSpace(): Box {
    return this.observation;
  }
  get actionSpace(): ActionSpace {
    return this.action;
  }
  get renderMode(): null {
    return null;
  }
  resetInto(): Info | undefined {
    throw new Error(`env '${this.id}': its module runs in the training worker only; the page knows its spaces, not its code`);
  }
  stepInto(): void {
    throw new Error(`env '${this.id}': its module runs in the training worker only; the page knows its spaces, not its code`);
  }
  render(): RgbFrame | null {
    return null;
  }
}

/** Registers (or replaces) `loaded.id` in the page's registry as an env of the spaces and spec the worker reported. */
export function registerDescribedEnv(loaded: LoadedEnvModule): void {
  const observation = toObservationSpace(loaded.observationSpace);
  const action = toActionSpace(loaded.actionSpace);
  register({ id: loaded.id, create: () => new DescribedEnv(loaded.id, observation, action), maxEpisodeSteps: loaded.maxEpisodeSteps, rewardThreshold: loaded.rewardThreshold });
}
