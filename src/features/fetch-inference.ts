/**
 * `fetch-inference`: a model alone, for entity keys. The feature whose inference names the model
 * (in the set given, or the only set that has one) is computed with exactly the version the
 * reference names, from the entities' features in the online store.
 */
import { InvalidInput, NotFound } from '../errors.js'
import { parseRef } from '../registry/refs.js'
import type { FeatureDefinition } from './definition.js'
import type { DerivedModels } from './derived.js'
import type { FeatureSetRecord } from './feature-set-record.js'
import { fetchResults, type EntityKey, type FetchResult, type OnlineFetcher } from './online-fetch.js'

export interface FetchInferenceDeps {
  fetcher: OnlineFetcher
  models: DerivedModels
  /** Every set of the workspace (newest versions), or the one named. */
  sets(workspace: string, name?: string): Promise<FeatureSetRecord[]>
}

/**
 * The set and features whose inference names `ref`'s model, among `sets` (a workspace's newest, or
 * the one named): refuses a model no feature names, and one named in several sets.
 */
export function inferenceUse(sets: readonly FeatureSetRecord[], ref: string, opts: { workspace: string; set?: string }): { record: FeatureSetRecord; features: FeatureDefinition[] } {
  const model = parseRef(ref).name
  const uses = sets
    .map((r) => ({ record: r, features: r.definition.features.filter((f) => f.inference && parseRef(f.inference.model).name === model) }))
    .filter((u) => u.features.length > 0)
  if (uses.length === 0) {
    const where = opts.set ? `feature set ${opts.set}` : `any feature set of workspace '${opts.workspace}'`
    throw new NotFound(`model '${model}' is not the inference of a feature in ${where}`, { field: 'model', got: ref })
  }
  if (uses.length > 1) {
    throw new InvalidInput(`model '${model}' is a feature in several sets (${uses.map((u) => u.record.name).join(', ')}); name one with set`, { field: 'set' })
  }
  return uses[0]!
}

export async function fetchInference(deps: FetchInferenceDeps, ref: string, keys: readonly EntityKey[], opts: { workspace: string; set?: string }): Promise<FetchResult[]> {
  const { record, features } = inferenceUse(await deps.sets(opts.workspace, opts.set), ref, opts)
  const version = await deps.models.readyVersion(ref, opts.workspace)
  const versions = new Map(features.map((f) => [f.inference!.model, version]))
  const fetched = await deps.fetcher.fetchTable(record.name, keys, { workspace: opts.workspace, features: features.map((f) => f.name), versions })
  return fetchResults(fetched)
}
