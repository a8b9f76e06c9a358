/**
 * Derived features, columnar: given a feature set and an Arrow table holding the base features
 * they need (`F` for the set's own, `SET.F` for a related set's), computes each requested derived
 * feature in dependency order through the one inference path, chains of any depth included. Batch
 * enrichment, training sets and online fetch all call this, so they agree exactly.
 */
import * as arrow from 'apache-arrow'
import { Conflict, InvalidInput, NotFound, RuntimeFailure } from '../errors.js'
import { concatData } from '../data/arrow-concat.js'
import { makeAnyData } from '../data/arrow-data.js'
import type { InferInput } from '../data/infer-input.js'
import { fromArrowType, isOptional, sameType, toArrowSchema, typeLabel, type SchemaField } from '../data/schema.js'
import type { VersionRecord } from '../records/version-record.js'
import type { FeatureDefinition, FeatureSetDefinition, InferenceArg } from './definition.js'
import {
  andMasks, isPackable, maskData, nullColumn, packNumeric, passThrough, validCount, type PackArg, type PackedColumn,
} from './derived-pack.js'
import { outputField } from './validate-set.js'

/** The two calls of the inference path derived features use (`InferencePath` has both). */
export interface DerivedModels {
  readyVersion(ref: string, workspace?: string): Promise<VersionRecord>
  inferVersion(version: VersionRecord, input: InferInput): Promise<arrow.Table>
}

export interface DerivedOptions {
  workspace?: string
  /** Definitions of related sets named through `SET.F` (needed when one of their derived features is an input). */
  related?: (name: string) => FeatureSetDefinition | undefined
  /**
   * Model versions by reference. References not in it are resolved now and added, so a caller
   * computing several batches can pin one version per reference for all of them.
   */
  versions?: Map<string, VersionRecord>
}

export interface DerivedResult {
  /** The input table plus one column per requested derived feature, named as requested. */
  table: arrow.Table
  /** Requested derived feature → `name:uuid` of the model version that computed it. */
  models: Record<string, string>
}

/** One feature in the dependency graph. */
export interface FeatureNode {
  set: string
  feature: string
  /** Its column in the working table: `F` in the set itself, `SET.F` for a related set. */
  column: string
  /** The definition; undefined for an entity key or event-time column. */
  def?: FeatureDefinition
  /** For a derived feature: each input reference (`F`, `SET.F`) → its column in the working table. */
  inputs?: Map<string, string>
}

export interface DerivedPlan {
  /** Base columns the table must hold (keys, base features of this and related sets). */
  base: FeatureNode[]
  /** Derived features to compute, each after everything it reads. */
  derived: FeatureNode[]
  /** The requested features, resolved. */
  requested: FeatureNode[]
}

/** Resolves `requested` (`F` or `SET.F`) and orders the derived features they need. */
export function planDerived(set: FeatureSetDefinition, requested: readonly string[], related?: DerivedOptions['related']): DerivedPlan {
  const setOf = (name: string, path: string): FeatureSetDefinition => {
    if (name === set.name) return set
    const s = related?.(name)
    if (!s) throw new NotFound(`${path}: feature set '${name}' is not known`, { field: path, got: name })
    return s
  }
  const node = (ref: string, from: string, path: string): FeatureNode => {
    const dot = ref.indexOf('.')
    const setName = dot < 0 ? from : ref.slice(0, dot)
    const feature = dot < 0 ? ref : ref.slice(dot + 1)
    const s = setOf(setName, path)
    const column = setName === set.name ? feature : `${setName}.${feature}`
    const def = s.features.find((f) => f.name === feature)
    if (!def && !s.entity.includes(feature) && s.event_time !== feature) {
      const known = [...s.entity, ...s.features.map((f) => f.name)].join(', ')
      throw new NotFound(`${path}: unknown feature '${ref}' (feature set ${s.name} has ${known})`, { field: path, got: ref })
    }
    return { set: setName, feature, column, def }
  }
  const base = new Map<string, FeatureNode>()
  const derived = new Map<string, FeatureNode>()
  const visit = (n: FeatureNode, stack: string[]) => {
    if (!n.def?.inference) {
      base.set(n.column, n)
      return
    }
    if (derived.has(n.column)) return
    if (stack.includes(n.column)) throw new InvalidInput(`derived features form a cycle: ${[...stack, n.column].join(' → ')}`, { field: n.column })
    const spec = n.def.inference
    const args = Array.isArray(spec.inputs) ? spec.inputs : Object.values(spec.inputs).flat()
    n.inputs = new Map()
    for (const a of args) {
      if (typeof a !== 'string') continue
      const dep = node(a, n.set, `${n.set}.${n.feature}.inference.inputs`)
      n.inputs.set(a, dep.column)
      visit(dep, [...stack, n.column])
    }
    derived.set(n.column, n)
  }
  const wanted = requested.map((r) => node(r, set.name, 'features'))
  for (const n of wanted) visit(n, [])
  return { base: [...base.values()], derived: [...derived.values()], requested: wanted }
}

/**
 * Computes the requested derived features of `set` over `table` (base features requested are
 * left as they are; they must be columns of the table). A row whose inputs hold a null gets a
 * null; so does every row when all are null, without running the model.
 *
 * @example
 * const { table: out, models } = await computeDerived(users, table, ['risk', 'fraud'], api.inference)
 */
export async function computeDerived(
  set: FeatureSetDefinition, table: arrow.Table, requested: readonly string[], models: DerivedModels, opts: DerivedOptions = {},
): Promise<DerivedResult> {
  const names = new Set(table.schema.fields.map((f) => f.name))
  const got = await deriveColumns(set, (name) => (names.has(name) ? table.getChild(name)! : undefined), table.numRows, requested, models, opts)
  if (got.columns.size === 0) return { table, models: got.models }
  return { table: table.assign(new arrow.Table(Object.fromEntries(got.columns))), models: got.models }
}

/**
 * `computeDerived` over columns looked up by name instead of a table (online fetch assembles its
 * columns itself): the requested derived features' columns by requested name, and their models.
 */
export async function deriveColumns(
  set: FeatureSetDefinition, lookup: (column: string) => arrow.Vector | undefined, rows: number, requested: readonly string[],
  models: DerivedModels, opts: DerivedOptions = {},
): Promise<{ columns: Map<string, arrow.Vector>; models: Record<string, string> }> {
  const plan = planDerived(set, requested, opts.related)
  for (const b of plan.base) {
    if (!lookup(b.column)) {
      throw new InvalidInput(`the table has no column '${b.column}', which the requested features need`, {
        field: b.column, expected: 'a column of base feature values',
      })
    }
  }
  const versions = opts.versions ?? new Map<string, VersionRecord>()
  const computed = new Map<string, arrow.Vector>()
  const used = new Map<string, VersionRecord>()
  const column = (name: string) => computed.get(name) ?? lookup(name)!
  for (const n of plan.derived) {
    const ref = n.def!.inference!.model
    let v = versions.get(ref)
    if (!v) {
      v = await models.readyVersion(ref, opts.workspace)
      versions.set(ref, v)
    }
    used.set(n.column, v)
    computed.set(n.column, await runNode(n, v, rows, column, models))
  }
  const columns = new Map<string, arrow.Vector>()
  const modelOf: Record<string, string> = {}
  for (const [i, n] of plan.requested.entries()) {
    if (!n.def?.inference) continue
    columns.set(requested[i]!, computed.get(n.column)!)
    const v = used.get(n.column)!
    modelOf[requested[i]!] = `${v.name}:${v.version}`
  }
  return { columns, models: modelOf }
}

/** Runs one derived feature's model over all rows; its output column, masked where inputs were null. */
async function runNode(
  n: FeatureNode, v: VersionRecord, rows: number, column: (name: string) => arrow.Vector, models: DerivedModels,
): Promise<arrow.Vector> {
  const def = n.def!
  const spec = def.inference!
  const path = `${n.set}.${n.feature}`
  if (!v.input_schema || !v.output_schema) {
    throw new RuntimeFailure(`${path}: ${v.name}#${v.seq} has no known input/output schema (status ${v.status})`, { field: path })
  }
  // An optional input the definition leaves out is left out of the model's input too (read as nulls).
  const given = spec.inputs
  const inputs = Array.isArray(given) ? v.input_schema : v.input_schema.filter((f) => !isOptional(f) || given[f.name] !== undefined)
  const resolve = (a: InferenceArg): PackArg => {
    if (typeof a !== 'string') return { constant: a }
    const col = n.inputs!.get(a)!
    return { column: column(col), name: col }
  }
  const packed: PackedColumn[] = []
  if (Array.isArray(spec.inputs)) {
    if (inputs.length !== 1) throw new Conflict(`${path}: ${v.name}#${v.seq} has ${inputs.length} input fields; an array of inputs fills exactly one`, { field: path })
    packed.push(packNumeric(spec.inputs.map(resolve), inputs[0]!.type, rows, `${path}.inference.inputs`))
  } else {
    for (const field of inputs) {
      const at = `${path}.inference.inputs.${field.name}`
      const arg = spec.inputs[field.name]
      if (arg === undefined) throw new Conflict(`${at}: ${v.name}#${v.seq} needs input field '${field.name}', which the definition does not give`, { field: at })
      packed.push(packField(field, arg, resolve, rows, at))
    }
  }
  const out = outputField(spec, v.output_schema, `${path}.inference`)
  const mask = andMasks(packed.map((p) => p.valid), rows)
  if (rows === 0 || validCount(mask, rows) === 0) return nullColumn(def.type, rows)
  const schema = toArrowSchema(inputs)
  const batch = new arrow.RecordBatch(schema, makeAnyData({
    type: new arrow.Struct(schema.fields), length: rows, nullCount: 0, children: packed.map((p) => p.data),
  }) as arrow.Data<arrow.Struct>)
  const result = await models.inferVersion(v, { kind: 'table', table: new arrow.Table(schema, [batch]) })
  const got = result.getChild(`out.${out.name}`)
  if (!got) throw new RuntimeFailure(`${path}: ${v.name}#${v.seq} returned no output '${out.name}'`, { field: path })
  const gotType = fromArrowType(got.type)
  if (!sameType(gotType, def.type)) {
    throw new Conflict(`${path}: declared ${typeLabel(def.type)} but ${v.name}#${v.seq} output '${out.name}' is ${typeLabel(gotType)}`, {
      field: path, expected: typeLabel(def.type), got: typeLabel(gotType),
    })
  }
  if (mask === null) return got
  const data = concatData(got.type, got.data)
  if (data === null) throw new RuntimeFailure(`${path}: output '${out.name}' of type ${typeLabel(gotType)} cannot be masked`, { field: path })
  return new arrow.Vector([maskData(data, mask)])
}

function packField(field: SchemaField, arg: InferenceArg | InferenceArg[], resolve: (a: InferenceArg) => PackArg, rows: number, at: string): PackedColumn {
  if (Array.isArray(arg)) return packNumeric(arg.map(resolve), field.type, rows, at)
  const a = resolve(arg)
  if ('constant' in a) return packNumeric([a], field.type, rows, at)
  const t = fromArrowType(a.column.type)
  const same = sameType(t, field.type)
  // The column is the model's input as it is: handed over without a copy.
  if (same && a.column.nullCount === 0) return passThrough(a.column, rows)
  if (isPackable(field.type) && isPackable(t)) return packNumeric([a], field.type, rows, at)
  if (!same) {
    throw new Conflict(`${at}: the model input '${field.name}' is ${typeLabel(field.type)}, '${a.name}' is ${typeLabel(t)}`, {
      field: at, expected: typeLabel(field.type), got: typeLabel(t),
    })
  }
  return passThrough(a.column, rows)
}
