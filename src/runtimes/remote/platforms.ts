/** The model platforms a `remote` version may name as its protocol: the built-in ones and any registered. */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { errorMessage, InvalidInput } from '../../errors.js'
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

let fromEnv: Promise<void> | undefined

/**
 * Registers the platforms of the modules named in `QUIVER_MODEL_PLATFORMS` (comma-separated paths
 * of ES modules whose default export, or export `platform`, is a ModelPlatform), once per process,
 * so that a server or the CLI can run remote versions of a user's own platform.
 */
export function loadEnvPlatforms(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  fromEnv ??= (async () => {
    for (const path of (env.QUIVER_MODEL_PLATFORMS ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
      let mod: { default?: unknown; platform?: unknown }
      try {
        mod = await import(pathToFileURL(resolve(path)).href)
      } catch (err) {
        throw new InvalidInput(`QUIVER_MODEL_PLATFORMS: ${path} cannot be imported: ${errorMessage(err)}`, { field: 'QUIVER_MODEL_PLATFORMS', got: path })
      }
      const p = (mod.platform ?? mod.default) as ModelPlatform | undefined
      if (!p || typeof p.name !== 'string' || typeof p.fetchInference !== 'function') {
        throw new InvalidInput(`QUIVER_MODEL_PLATFORMS: ${path} exports no ModelPlatform (an object with name and fetchInference) as default or 'platform'`, { field: 'QUIVER_MODEL_PLATFORMS', got: path })
      }
      if (!PLATFORMS.has(p.name)) registerModelPlatform(p)
    }
  })()
  return fromEnv
}

export function platformNames(): string[] {
  return [...PLATFORMS.keys()]
}
