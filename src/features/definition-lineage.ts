/** The lineage a feature-set version brings: source → set → features, models and inputs → derived features. */
import type { LineageEdge } from '../store/feature-set-store.js'
import type { VersionRecord } from '../records/version-record.js'
import { inputFeatures, type FeatureSetDefinition } from './definition.js'

export const NODE = { source: 'source', set: 'feature_set', feature: 'feature', model: 'model_version', trainingSet: 'training_set', enriched: 'enriched_table' } as const

export function definitionLineage(def: FeatureSetDefinition, models: ReadonlyMap<string, VersionRecord>): LineageEdge[] {
  const edges: LineageEdge[] = []
  const add = (from_kind: string, from_ref: string, to_kind: string, to_ref: string, relation: string) =>
    edges.push({ from_kind, from_ref, to_kind, to_ref, relation })
  const src = 'path' in def.source ? def.source.path : `sql:${def.source.sql}`
  add(NODE.source, src, NODE.set, def.name, 'source_of')
  for (const f of def.features) {
    const ref = `${def.name}.${f.name}`
    add(NODE.set, def.name, NODE.feature, ref, 'has_feature')
    if (!f.inference) continue
    const v = models.get(f.inference.model)
    if (v) add(NODE.model, `${v.name}:${v.version}`, NODE.feature, ref, 'computes')
    for (const input of inputFeatures(f.inference)) {
      add(NODE.feature, input.includes('.') ? input : `${def.name}.${input}`, NODE.feature, ref, 'input_of')
    }
  }
  return edges
}
