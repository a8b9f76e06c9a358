import { NotFound } from '../errors.js'
import { FeatureSets } from '../features/feature-sets.js'
import { parseRef } from '../registry/refs.js'
import { DEFAULT_WORKSPACE, type Registry } from '../registry/registry.js'
import type { FeatureSetStore } from '../store/feature-set-store.js'
import type { AppliedFeatureSet, FeatureApi, FeatureSetRecord } from './feature-api.js'
import type { ScopeOptions } from './quiver-api.js'

export interface LocalFeatureDeps {
  store: FeatureSetStore
  registry: Registry
}

/** Feature sets in process, over the metadata store and the registry. */
export class LocalFeatureApi implements FeatureApi {
  readonly sets: FeatureSets

  constructor(deps: LocalFeatureDeps) {
    this.sets = new FeatureSets({ store: deps.store, resolveModel: (ref, ws) => resolveInWorkspace(deps.registry, ref, ws) })
  }

  apply(definitions: unknown[], opts: ScopeOptions = {}): Promise<AppliedFeatureSet[]> {
    return this.sets.apply(definitions, opts.workspace ?? DEFAULT_WORKSPACE)
  }

  list(opts: ScopeOptions = {}): Promise<FeatureSetRecord[]> {
    return this.sets.list(opts.workspace ?? DEFAULT_WORKSPACE)
  }

  show(name: string, opts: ScopeOptions & { version?: number } = {}): Promise<FeatureSetRecord> {
    return this.sets.show(name, opts.workspace ?? DEFAULT_WORKSPACE, opts.version)
  }
}

/**
 * A feature set names models of its own workspace only: a `ws/` prefix naming another one answers
 * as the registry does for a model that is not there, so definitions cannot probe other workspaces.
 */
async function resolveInWorkspace(registry: Registry, ref: string, workspace: string) {
  const parsed = parseRef(ref)
  if (parsed.workspace !== null && parsed.workspace !== workspace) {
    throw new NotFound(`model '${parsed.name}' does not exist in workspace '${parsed.workspace}'`, { ref })
  }
  return registry.resolve(ref, workspace)
}
