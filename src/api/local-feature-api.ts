import { NotFound } from '../errors.js'
import { FeatureSets } from '../features/feature-sets.js'
import { parseRef } from '../registry/refs.js'
import { DEFAULT_WORKSPACE, type Registry } from '../registry/registry.js'
import type { FeatureSetStore } from '../store/feature-set-store.js'
import type { AppliedFeatureSet, FeatureApi, FeatureSetRecord } from './feature-api.js'
import type { ScopeOptions } from './quiver-api.js'
import type { DerivedModels } from '../features/derived.js'
import type { LineageDirection, LineageGraph } from '../features/lineage-graph.js'
import type { EnrichRequest, OfflineResult } from '../features/offline/enrich.js'
import type { TrainingSetRequest } from '../features/offline/training-set.js'
import { LocalOfflineFeatures } from './local-offline-features.js'

export interface LocalFeatureDeps {
  store: FeatureSetStore
  registry: Registry
  /** The inference path derived features run through (enrich, training sets). */
  inference?: DerivedModels
}

/** Feature sets in process, over the metadata store and the registry. */
export class LocalFeatureApi implements FeatureApi {
  readonly sets: FeatureSets
  readonly offline: LocalOfflineFeatures

  constructor(deps: LocalFeatureDeps) {
    this.sets = new FeatureSets({ store: deps.store, resolveModel: (ref, ws) => resolveInWorkspace(deps.registry, ref, ws) })
    this.offline = new LocalOfflineFeatures({ store: deps.store, sets: this.sets, inference: deps.inference })
  }

  enrich(req: EnrichRequest, opts: ScopeOptions = {}): Promise<OfflineResult> {
    return this.offline.enrich(req, opts)
  }

  trainingSet(req: TrainingSetRequest, opts: ScopeOptions = {}): Promise<OfflineResult> {
    return this.offline.trainingSet(req, opts)
  }

  lineage(ref: string, opts: ScopeOptions & { direction?: LineageDirection } = {}): Promise<LineageGraph> {
    return this.offline.lineage(ref, opts)
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
