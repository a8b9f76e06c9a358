/**
 * Online fetch: the base features of the entities asked for, read from the online store (with
 * those of related sets, joined through their keys), then the requested derived features computed
 * by `computeDerived` with the model versions current now. A missing entity or value is reported
 * per key, never an error.
 */
import * as arrow from 'apache-arrow'
import { InvalidInput, RuntimeFailure } from '../errors.js'
import { conformData } from '../data/arrow-conform.js'
import { buildColumn } from '../data/column-builder.js'
import { isValidAt } from '../data/arrow-data.js'
import { isNumericType } from '../data/scalar-codecs.js'
import type { SchemaField } from '../data/schema.js'
import { columnValues } from '../data/column-values.js'
import { inputFeatures, type FeatureSetDefinition } from './definition.js'
import { deriveColumns, planDerived, type DerivedModels } from './derived.js'
import type { FeatureSetRecord } from './feature-set-record.js'
import { onlineLayout, readOnline } from './online/online-table.js'
import type { OnlineStore } from './online/online-store.js'

import type { EntityKey, FetchResult } from './online-types.js'

export type { EntityKey, FetchResult } from './online-types.js'

export interface FetchOptions {
  /** Features to return (default: every feature of the set). */
  features?: string[]
  workspace: string
  /** Model version per reference, pinned by the caller (fetch-inference names one). */
  versions?: Map<string, import('../records/version-record.js').VersionRecord>
}

export interface FetchedTable {
  record: FeatureSetRecord
  /** Key columns, then one column per requested feature, in request order. */
  columns: Map<string, arrow.Vector>
  rows: number
  requested: string[]
  /** 1 where the entity was found in the online store. */
  found: Uint8Array
  models: Record<string, string>
}

export interface OnlineFetchDeps {
  store: OnlineStore
  /** The newest version of a set (throws NotFound). */
  set(name: string, workspace: string): Promise<FeatureSetRecord>
  models: DerivedModels
}

const INTEGER_TEXT = /^-?\d+$/

/**
 * `COL=VALUE` texts (CLI flags, query parameters) → key values typed by the set's key columns, so
 * `user_id=12` is the integer 12; a value that does not parse is kept as text and refused by the
 * key check with the expected type.
 */
export function keyFromText(keys: readonly SchemaField[], pairs: readonly string[]): EntityKey {
  const out: EntityKey = {}
  for (const p of pairs) {
    const eq = p.indexOf('=')
    if (eq <= 0) throw new InvalidInput(`--key must be COL=VALUE, got ${JSON.stringify(p)}`, { field: 'key', got: p })
    const name = p.slice(0, eq)
    const text = p.slice(eq + 1)
    const t = keys.find((k) => k.name === name)?.type
    let v: unknown = text
    if (t !== undefined && isNumericType(t)) {
      if (t.startsWith('float')) v = text.trim() === '' || Number.isNaN(Number(text)) ? text : Number(text)
      else if (INTEGER_TEXT.test(text)) v = t === 'int64' || t === 'uint64' ? text : Number(text)
    } else if (t === 'bool' && (text === 'true' || text === 'false')) v = text === 'true'
    out[name] = v
  }
  return out
}

/** The key columns of the entities asked for, typed exactly; refuses a missing, unknown or mistyped key by name. */
function keyColumns(record: FeatureSetRecord, keys: readonly EntityKey[]): arrow.Data[] {
  const names = record.keys.map((k) => k.name)
  for (const [i, k] of keys.entries()) {
    if (typeof k !== 'object' || k === null || Array.isArray(k)) {
      throw new InvalidInput(`keys[${i}] must be an object of ${names.join(', ')}, got ${JSON.stringify(k)}`, { field: 'keys', row: i })
    }
    for (const n of Object.keys(k)) {
      if (!names.includes(n)) throw new InvalidInput(`key '${n}' is not an entity key of feature set ${record.name} (its keys: ${names.join(', ')})`, { field: `keys.${n}`, row: i })
    }
    for (const n of names) {
      if (k[n] === undefined || k[n] === null) throw new InvalidInput(`keys[${i}] lacks entity key '${n}' of feature set ${record.name}`, { field: `keys.${n}`, row: i })
    }
  }
  return record.keys.map((k) => buildColumn(keys.map((e) => e[k.name]), k.type, { field: `keys.${k.name}`, rowOf: (i) => i, nullsAllowed: false, allowNull: false }))
}

export class OnlineFetcher {
  readonly #deps: OnlineFetchDeps

  constructor(deps: OnlineFetchDeps) {
    this.#deps = deps
  }

  /** Sets named through `SET.F` anywhere down the derived features of `def`. */
  async #related(def: FeatureSetDefinition, workspace: string): Promise<Map<string, FeatureSetRecord>> {
    const found = new Map<string, FeatureSetRecord>()
    const queue = [def]
    while (queue.length) {
      const d = queue.shift()!
      for (const f of d.features) {
        if (!f.inference) continue
        for (const ref of inputFeatures(f.inference)) {
          const dot = ref.indexOf('.')
          const name = ref.slice(0, dot)
          if (dot < 0 || name === def.name || found.has(name)) continue
          const r = await this.#deps.set(name, workspace)
          found.set(name, r)
          queue.push(r.definition)
        }
      }
    }
    return found
  }

  async fetchTable(setName: string, keys: readonly EntityKey[], opts: FetchOptions): Promise<FetchedTable> {
    const record = await this.#deps.set(setName, opts.workspace)
    const def = record.definition
    const all = def.features.map((f) => f.name)
    const requested = opts.features ?? all
    for (const f of requested) {
      if (!all.includes(f)) throw new InvalidInput(`features: unknown feature '${f}' in feature set ${def.name} (its features: ${all.join(', ')})`, { field: 'features', got: f })
    }
    const related = await this.#related(def, opts.workspace)
    const relatedDef = (name: string) => related.get(name)?.definition
    const plan = planDerived(def, requested, relatedDef)
    const rows = keys.length
    const columns = new Map<string, arrow.Data>()
    const keyData = keyColumns(record, keys)
    record.keys.forEach((k, i) => columns.set(k.name, keyData[i]!))
    const root = onlineLayout(record)
    const got = await readOnline(this.#deps.store, root, keyData)
    root.fields.forEach((f, i) => columns.set(f.name, got.columns[i]!))
    // Related sets, each once its key columns are at hand (a key of this set, or a feature read before).
    const pending = new Set(plan.base.filter((b) => b.set !== def.name).map((b) => b.set))
    while (pending.size) {
      let progressed = false
      for (const name of pending) {
        const r = related.get(name)!
        const sources = r.keys.map((k) => columns.get(k.name) ?? [...columns.entries()].find(([c]) => c.endsWith(`.${k.name}`))?.[1])
        if (sources.some((s) => s === undefined)) continue
        const skip = new Uint8Array(rows)
        const typed = r.keys.map((k, j) => {
          const src = sources[j]!
          for (let i = 0; i < rows; i++) if (!isValidAt(src, i)) skip[i] = 1
          return conformData(src, k.type, { field: `${name}.${k.name}`, rowOf: (i) => i, nullsAllowed: true, allowNull: true })
        })
        const layout = onlineLayout(r)
        const rel = await readOnline(this.#deps.store, layout, typed, Date.now(), skip)
        layout.fields.forEach((f, i) => columns.set(`${name}.${f.name}`, rel.columns[i]!))
        pending.delete(name)
        progressed = true
      }
      if (!progressed) throw new RuntimeFailure(`feature set ${def.name}: cannot join ${[...pending].join(', ')}: no column holds their entity keys`)
    }
    const vectors = new Map<string, arrow.Vector>()
    const vector = (name: string) => {
      let v = vectors.get(name)
      const d = columns.get(name)
      if (!v && d) vectors.set(name, (v = new arrow.Vector([d])))
      return v
    }
    const derived = requested.filter((f) => def.features.find((x) => x.name === f)?.inference)
    const out = await deriveColumns(def, vector, rows, derived, this.#deps.models, {
      workspace: opts.workspace, related: relatedDef, versions: opts.versions,
    })
    const result = new Map<string, arrow.Vector>()
    for (const name of [...record.keys.map((k) => k.name), ...requested]) result.set(name, out.columns.get(name) ?? vector(name)!)
    return { record, columns: result, rows, requested, found: got.found, models: out.models }
  }
}

/** One SPEC §7 result per entity; values as JSON writes them (int64 past 2^53 as strings, NaN as "NaN"). */
export function fetchResults(f: FetchedTable): FetchResult[] {
  const keyNames = f.record.keys.map((k) => k.name)
  const keyValues = keyNames.map((n) => columnValues(f.columns.get(n)!, 'json'))
  const values = f.requested.map((n) => columnValues(f.columns.get(n)!, 'json'))
  const models: Record<string, string> = {}
  for (const n of f.requested) if (f.models[n]) models[n] = f.models[n]!
  const out: FetchResult[] = []
  for (let i = 0; i < f.rows; i++) {
    const keys: Record<string, unknown> = {}
    keyNames.forEach((n, k) => (keys[n] = keyValues[k]![i]))
    const features: Record<string, unknown> = {}
    const missing: string[] = []
    f.requested.forEach((n, k) => {
      const v = values[k]![i] ?? null
      features[n] = v
      if (v === null) missing.push(n)
    })
    out.push({ keys, features, models, missing })
  }
  return out
}
