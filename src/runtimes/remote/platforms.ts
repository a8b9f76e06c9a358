/** The model platforms a `remote` version may name as its protocol: the built-in ones and any registered. */
import { InvalidInput } from '../../errors.js'
import { JsonPlatform } from './json-platform.js'
import { MlflowPlatform } from './mlflow-platform.js'
import type { ModelPlatform } from './model-platform.js'
import { V2Platform } from './v2-platform.js'

const PLATFORMS = new Map<string, ModelPlatform>([
  ['v2', new V2Platform()],
  ['mlflow', new MlflowPlatform()],
  ['json', new JsonPlatform()],
])

/**
 * Adds a platform for this process; remote versions with `protocol` = its name then run through it.
 *
 * @example
 * registerModelPlatform({ name: 'sagemaker', fetchInference: async ({ input, call }) => ... })
 */
export function registerModelPlatform(platform: ModelPlatform): void {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(platform.name)) throw new InvalidInput(`a model platform name is lower-case letters, digits, - and _, got ${JSON.stringify(platform.name)}`, { field: 'name' })
  if (['v2', 'mlflow', 'json'].includes(platform.name)) throw new InvalidInput(`model platform '${platform.name}' is built in and cannot be replaced`, { field: 'name' })
  PLATFORMS.set(platform.name, platform)
}

export function modelPlatform(name: string): ModelPlatform | undefined {
  return PLATFORMS.get(name)
}

export function platformNames(): string[] {
  return [...PLATFORMS.keys()]
}
