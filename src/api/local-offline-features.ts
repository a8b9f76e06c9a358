/** Offline features in process: batch enrichment, point-in-time training sets, lineage. */
import { resolve } from 'node:path'
import { Unsupported } from '../errors.js'
import type { FeatureSetDefinition } from '../features/definition.js'
import type { DerivedModels } from '../features/derived.js'
import type { FeatureSets } from '../features/feature-sets.js'
import { NODE } from '../features/definition-lineage.js'
import { lineageGraph, type LineageDirection, type LineageGraph } from '../features/lineage-graph.js'
import { enrich, type EnrichRequest, type OfflineDeps, type OfflineResult } from '../features/offline/enrich.js'
import { buildTrainingSet, type TrainingSetRequest } from '../features/offline/training-set.js'
import { DEFAULT_WORKSPACE } from '../registry/registry.js'
import type { FeatureSetStore } from '../store/feature-set-store.js'
import type { ScopeOptions } from './quiver-api.js'

export interface OfflineFeatureDeps {
  store: FeatureSetStore
  sets: FeatureSets
  inference?: DerivedModels
}

export class LocalOfflineFeatures {
  readonly #deps: OfflineFeatureDeps

  constructor(deps: OfflineFeatureDeps) {
    this.#deps = deps
  }

  #offline(opts: ScopeOptions): OfflineDeps {
    const workspace = opts.workspace ?? DEFAULT_WORKSPACE
    const models = this.#deps.inference
    if (!models) throw new Unsupported('this Quiver has no inference path for derived features')
    return {
      models, workspace,
      setOf: async (name) => (await this.#deps.sets.show(name, workspace)).definition as FeatureSetDefinition,
    }
  }

  /** Enriches, then records input → output, each requested feature → output and each model version used → output. */
  async enrich(req: EnrichRequest, opts: ScopeOptions = {}): Promise<OfflineResult> {
    const result = await enrich(req, this.#offline(opts))
    const output = resolve(req.output)
    const edge = (from_kind: string, from_ref: string, relation: string) => ({ from_kind, from_ref, to_kind: NODE.enriched, to_ref: output, relation })
    await this.#deps.store.addLineage([
      edge(NODE.source, resolve(req.input), 'input_of'),
      ...(req.features ?? []).map((f) => edge(NODE.feature, f, 'feature_of')),
      ...[...new Set(Object.values(result.models))].map((m) => edge(NODE.model, m, 'computes')),
    ])
    return result
  }

  async trainingSet(req: TrainingSetRequest, opts: ScopeOptions = {}): Promise<OfflineResult> {
    const { lineage, ...result } = await buildTrainingSet(req, this.#offline(opts))
    await this.#deps.store.addLineage(lineage.map((l) => ({
      from_kind: NODE.feature, from_ref: l.feature, to_kind: NODE.trainingSet, to_ref: l.trainingSet, relation: 'feature_of',
    })))
    return result
  }

  async lineage(ref: string, opts: ScopeOptions & { direction?: LineageDirection } = {}): Promise<LineageGraph> {
    return lineageGraph(await this.#deps.store.lineageEdges(), ref, opts.direction ?? 'both')
  }
}
