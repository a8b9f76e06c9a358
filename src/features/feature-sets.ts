/** Applying, listing and showing feature-set definitions: validation, versioning, lineage. */
import { NotFound } from '../errors.js'
import type { SchemaField } from '../data/schema.js'
import { assertValidName } from '../registry/names.js'
import type { VersionRecord } from '../records/version-record.js'
import type { FeatureSetStore, StoredFeatureSet } from '../store/feature-set-store.js'
import { digestOf } from './canonical-json.js'
import { parseFeatureSet, type FeatureSetDefinition } from './definition.js'
import { definitionLineage } from './definition-lineage.js'
import type { AppliedFeatureSet, FeatureSetRecord } from './feature-set-record.js'
import { describeQuery } from './offline/duckdb-engine.js'
import { sourceRelation } from './offline/source-relation.js'
import { typeSourceColumns, validateFeatureSet, type TypedFeatureSet } from './validate-set.js'

export interface FeatureSetDeps {
  store: FeatureSetStore
  /** Resolves a model reference in a workspace (throws NotFound). */
  resolveModel(ref: string, workspace: string): Promise<VersionRecord>
}

export function toRecord(s: StoredFeatureSet): FeatureSetRecord {
  return {
    name: s.name, workspace: s.workspace, version: s.version, digest: s.digest,
    keys: s.keys as SchemaField[], definition: s.definition as FeatureSetDefinition, created_at: s.created_at,
  }
}

/** The source's key columns, with base features checked against its columns. */
async function typeSource(def: FeatureSetDefinition): Promise<SchemaField[]> {
  const relation = await sourceRelation(def)
  const label = 'path' in def.source ? def.source.path : 'the SQL source'
  return typeSourceColumns(def, await describeQuery(`SELECT * FROM ${relation}`, label), label)
}

export class FeatureSets {
  readonly #deps: FeatureSetDeps

  constructor(deps: FeatureSetDeps) {
    this.#deps = deps
  }

  /**
   * Validates all definitions together (they may name each other), then stores each as a new
   * version unless it equals its newest one. Nothing is stored when any definition is refused.
   */
  async apply(raw: unknown[], workspace: string): Promise<AppliedFeatureSet[]> {
    assertValidName(workspace, 'workspace')
    const defs = raw.map((d, i) => parseFeatureSet(d, `definition[${i}]`))
    const batch = new Map<string, TypedFeatureSet>()
    for (const def of defs) batch.set(def.name, { definition: def, keys: await typeSource(def) })
    const models = new Map<string, VersionRecord>()
    const ctx = {
      set: async (name: string) => batch.get(name) ?? (await this.#typed(workspace, name)),
      model: async (ref: string) => {
        const v = await this.#deps.resolveModel(ref, workspace)
        models.set(ref, v)
        return v
      },
    }
    for (const set of batch.values()) await validateFeatureSet(set, ctx)
    const applied: AppliedFeatureSet[] = []
    for (const { definition, keys } of batch.values()) {
      const { record, created } = await this.#deps.store.putFeatureSet({
        workspace, name: definition.name, digest: digestOf({ definition, keys }), definition, keys,
      })
      if (created) await this.#deps.store.addLineage(definitionLineage(definition, models))
      applied.push({ name: record.name, version: record.version, changed: created, record: toRecord(record) })
    }
    return applied
  }

  async #typed(workspace: string, name: string): Promise<TypedFeatureSet | undefined> {
    const s = await this.#deps.store.getFeatureSet(workspace, name)
    if (!s) return undefined
    const r = toRecord(s)
    return { definition: r.definition, keys: r.keys }
  }

  async list(workspace: string): Promise<FeatureSetRecord[]> {
    return (await this.#deps.store.listFeatureSets(workspace)).map(toRecord)
  }

  async show(name: string, workspace: string, version?: number): Promise<FeatureSetRecord> {
    const s = await this.#deps.store.getFeatureSet(workspace, name, version)
    if (!s) {
      const which = version === undefined ? '' : ` version ${version}`
      throw new NotFound(`feature set '${name}'${which} does not exist in workspace '${workspace}'`, { field: 'set', got: name })
    }
    return toRecord(s)
  }
}
