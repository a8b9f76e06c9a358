/**
 * Batch enrichment (`quiver enrich`): a table file streamed record batch by record batch through
 * one model (`--model REF --inputs COL,... --as COL`) or derived features (`--features SET.F,...`),
 * each batch computed by `computeDerived` — the code online fetch runs — and written out as it
 * comes, so memory stays bounded whatever the input's size.
 */
import * as arrow from 'apache-arrow'
import { InvalidInput } from '../../errors.js'
import { fileRelation, requireFile, streamFile } from '../../data/duckdb/file-input.js'
import { describeQuery } from './duckdb-engine.js'
import { TableFileWriter } from '../../data/duckdb/table-writer.js'
import { formatOfPath } from '../../data/duckdb/files.js'
import type { VersionRecord } from '../../records/version-record.js'
import type { FeatureSetDefinition, InferenceInputs } from '../definition.js'
import { computeDerived, planDerived, type DerivedModels } from '../derived.js'
import { outputField } from '../validate-set.js'
import type { EnrichRequest, OfflineResult } from './offline-types.js'

export type { EnrichRequest, OfflineResult } from './offline-types.js'

export interface OfflineDeps {
  models: DerivedModels
  workspace: string
  /** A feature set's newest definition; NotFound when there is none. */
  setOf(name: string): Promise<FeatureSetDefinition>
}

/** `SET.F` → its set and feature; refuses a bare name. */
export function splitFeatureRef(ref: string, field: string): { set: string; feature: string } {
  const dot = ref.indexOf('.')
  if (dot <= 0 || dot === ref.length - 1) throw new InvalidInput(`${field}: '${ref}' must name a feature as SET.F`, { field, got: ref, expected: 'SET.F' })
  return { set: ref.slice(0, dot), feature: ref.slice(dot + 1) }
}

export interface FeatureGroup { set: FeatureSetDefinition; requested: string[]; refs: string[] }

/** Requested `SET.F` grouped by set, every name checked (unknown sets and features refused) before any row is read. */
export async function groupFeatures(features: readonly string[], deps: OfflineDeps, field: string): Promise<{ groups: FeatureGroup[]; related: (n: string) => FeatureSetDefinition | undefined }> {
  if (features.length === 0) throw new InvalidInput(`${field}: name at least one feature SET.F`, { field })
  const defs = new Map<string, FeatureSetDefinition>()
  const load = async (name: string) => {
    if (!defs.has(name)) defs.set(name, await deps.setOf(name))
    return defs.get(name)!
  }
  const groups = new Map<string, FeatureGroup>()
  for (const ref of features) {
    const { set, feature } = splitFeatureRef(ref, field)
    const def = await load(set)
    const g = groups.get(set) ?? { set: def, requested: [], refs: [] }
    g.requested.push(feature)
    g.refs.push(ref)
    groups.set(set, g)
  }
  // Related sets named by derived inputs, loaded ahead so planning is synchronous.
  for (const def of [...defs.values()]) {
    for (const f of def.features) {
      const args = f.inference ? (Array.isArray(f.inference.inputs) ? f.inference.inputs : Object.values(f.inference.inputs).flat()) : []
      for (const a of args) if (typeof a === 'string' && a.includes('.')) await load(a.split('.')[0]!)
    }
  }
  const related = (n: string) => defs.get(n)
  for (const g of groups.values()) planDerived(g.set, g.requested, related)
  return { groups: [...groups.values()], related }
}

/** The one-model form as a feature set of one derived feature over the input's columns. */
async function modelAsSet(req: EnrichRequest, deps: OfflineDeps): Promise<FeatureGroup> {
  const cols = req.inputs ?? []
  if (cols.length === 0) throw new InvalidInput('--inputs: name the input columns the model reads', { field: 'inputs' })
  if (!req.as) throw new InvalidInput('--as: name the column the model output goes to', { field: 'as' })
  const v = await deps.models.readyVersion(req.model!, deps.workspace)
  const fields = v.input_schema ?? []
  let inputs: InferenceInputs
  if (cols.length === fields.length) inputs = Object.fromEntries(fields.map((f, i) => [f.name, cols[i]!]))
  else if (fields.length === 1) inputs = cols
  else {
    throw new InvalidInput(`--inputs: ${v.name}#${v.seq} has ${fields.length} input fields (${fields.map((f) => f.name).join(', ')}); give one column per field, or several packed into a single field`, {
      field: 'inputs', expected: `${fields.length} columns`, got: `${cols.length} columns`,
    })
  }
  const spec = { model: req.model!, inputs }
  const out = outputField(spec, v.output_schema ?? [], '--model')
  const set: FeatureSetDefinition = {
    name: 'input', entity: [...new Set(cols)], event_time: '__quiver_no_time', source: { path: req.input },
    features: [{ name: req.as, type: out.type, inference: spec }],
  }
  return { set, requested: [req.as], refs: [req.as] }
}

/**
 * Adds each group's requested features to a batch: derived ones computed, base ones copied from
 * the input's column of that name. Returns the batch's table with the added columns, named by `refs`.
 */
export async function addFeatures(
  table: arrow.Table, groups: readonly FeatureGroup[], deps: OfflineDeps, related: (n: string) => FeatureSetDefinition | undefined,
  versions: Map<string, VersionRecord>, models: Record<string, string>, working: (g: number) => arrow.Table = () => table,
): Promise<Record<string, arrow.Vector>> {
  const added: Record<string, arrow.Vector> = {}
  for (const [k, g] of groups.entries()) {
    const work = working(k)
    const { table: out, models: used } = await computeDerived(g.set, work, g.requested, deps.models, { workspace: deps.workspace, related, versions })
    g.requested.forEach((f, i) => {
      const col = out.getChild(f)
      if (!col) throw new InvalidInput(`the input has no column '${f}' for feature ${g.refs[i]}`, { field: f })
      added[g.refs[i]!] = col
      if (used[f]) models[g.refs[i]!] = used[f]!
    })
  }
  return added
}

/**
 * Enriches `req.input` into `req.output` (format by extension), streaming. When DuckDB both reads
 * the input and writes the output, only the added columns are handed to it, and the output is the
 * input, read by DuckDB itself, joined to them by position: the input's columns are never copied
 * through Arrow on their way out.
 */
export async function enrich(req: EnrichRequest, deps: OfflineDeps): Promise<OfflineResult> {
  const started = performance.now()
  const inFormat = formatOfPath(req.input, 'input')
  const outFormat = formatOfPath(req.output, 'output')
  if ((req.model === undefined) === (req.features === undefined)) {
    throw new InvalidInput('give either --model REF --inputs COL,... --as COL or --features SET.F,...', { field: 'model' })
  }
  const { groups, related } = req.model !== undefined
    ? { groups: [await modelAsSet(req, deps)], related: () => undefined }
    : await groupFeatures(req.features!, deps, 'features')
  const added = groups.flatMap((g) => g.refs)
  let byPosition = inFormat !== 'arrow' && outFormat !== 'arrow'
  let read: string[] | undefined
  if (byPosition) {
    await requireFile(req.input, 'input')
    const columns = (await describeQuery(`SELECT * FROM ${fileRelation(req.input, 'input')}`, `input ${req.input}`)).map((c) => c.name)
    // An added column that replaces an input column of the same name keeps the Arrow path.
    byPosition = !added.some((a) => columns.includes(a))
    // Only the columns the features read (a missing one is left for computeDerived to name).
    const needed = new Set(groups.flatMap((g) => planDerived(g.set, g.requested, related).base.map((b) => b.column)))
    read = columns.filter((c) => needed.has(c))
    if (read.length === 0) read = undefined
  }
  const writer = await TableFileWriter.open(req.output)
  const versions = new Map<string, VersionRecord>()
  const models: Record<string, string> = {}
  let outSchema: arrow.Schema | undefined
  try {
    await streamFile(req.input, 'input', async (batch) => {
      const table = new arrow.Table(batch)
      const columns = await addFeatures(table, groups, deps, related, versions, models)
      const out = byPosition ? new arrow.Table(columns) : table.assign(new arrow.Table(columns))
      outSchema = out.schema
      for (const b of out.batches) await writer.write(b)
    }, undefined, byPosition ? read : undefined)
  } catch (err) {
    await writer.abort()
    throw err
  }
  const rows = byPosition
    ? await writer.close(outSchema, (written) => `SELECT * FROM ${fileRelation(req.input, 'input')} POSITIONAL JOIN ${written}`)
    : await writer.close(outSchema)
  return { output: req.output, rows, columns: added, models, seconds: (performance.now() - started) / 1000 }
}
