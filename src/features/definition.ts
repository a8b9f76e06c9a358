/**
 * Feature-set definitions (SPEC §7): the JSON form, the TypeScript form (`defineFeatureSet`, the
 * same object), and their parsing into one normalised shape. Parsing checks the shape only; what
 * the names point at (features, sets, models, types) is checked on apply by `validate-set.ts`.
 */
import { InvalidInput } from '../errors.js'
import { assertValidName } from '../registry/names.js'
import { parseSchema, type FieldType } from '../data/schema.js'

/** A feature (`F` or `SET.F`) when a string; a constant when a number or boolean. */
export type InferenceArg = string | number | boolean
export type InferenceInputs = InferenceArg[] | Record<string, InferenceArg | InferenceArg[]>

export interface InferenceSpec {
  /** A model reference (`name`, `name@tag`, `name#seq`, `name:uuid`). */
  model: string
  inputs: InferenceInputs
  /** The model's output field giving the value; default its only one. */
  output?: string
}

export interface FeatureDefinition {
  name: string
  type: FieldType
  description?: string
  /** Present on derived features: the value is this model's output on the inputs. */
  inference?: InferenceSpec
}

export type SourceDefinition = { path: string } | { sql: string }

export interface FeatureSetDefinition {
  name: string
  entity: string[]
  event_time: string
  source: SourceDefinition
  /** `90d`, `12h`, `30m`, `45s`: older values count as missing. */
  ttl?: string
  description?: string
  features: FeatureDefinition[]
}

/**
 * The TypeScript form of a feature-set definition: checks the shape at once and returns it.
 *
 * @example
 * export default defineFeatureSet({
 *   name: 'users', entity: ['user_id'], event_time: 'ts', source: { path: 'users.parquet' },
 *   features: [
 *     { name: 'age', type: 'int64' },
 *     { name: 'risk', type: 'float32', inference: { model: 'risk@production', inputs: ['age', 10] } },
 *   ],
 * })
 */
export function defineFeatureSet(def: FeatureSetDefinition): FeatureSetDefinition {
  return parseFeatureSet(def)
}

const FEATURE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const DURATION = /^([1-9][0-9]*)(ms|s|m|h|d)$/
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `90d` → milliseconds; refuses anything else naming `field`. */
export function parseDuration(text: string, field: string): number {
  const m = DURATION.exec(text)
  if (!m) throw new InvalidInput(`${field} must be a duration like 90d, 12h, 30m, 45s or 500ms, got ${JSON.stringify(text)}`, { field, got: text })
  return Number(m[1]) * UNIT_MS[m[2]!]!
}

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v)

function fail(path: string, message: string, got?: unknown): never {
  throw new InvalidInput(`feature set ${path}: ${message}`, { field: path, ...(got === undefined ? {} : { got: JSON.stringify(got) }) })
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.length === 0) fail(path, `must be a non-empty string, got ${kind(v)}`, v)
  return v
}

function columnName(v: unknown, path: string): string {
  const s = str(v, path)
  if (!FEATURE_NAME.test(s)) fail(path, `${JSON.stringify(s)} is not a column name (letters, digits and _, not starting with a digit)`, s)
  return s
}

function parseArg(v: unknown, path: string): InferenceArg {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) fail(path, 'a constant must be a finite number', v)
    return v
  }
  if (typeof v === 'boolean') return v
  if (typeof v === 'string') {
    const parts = v.split('.')
    if (parts.length > 2 || !FEATURE_NAME.test(parts.at(-1)!)) fail(path, `${JSON.stringify(v)} is neither a feature F nor a related feature SET.F`, v)
    if (parts.length === 2) assertValidName(parts[0]!, 'feature set')
    return v
  }
  return fail(path, `must be a feature name, SET.F, a number or a boolean, got ${kind(v)}`, v)
}

function parseInference(v: unknown, path: string): InferenceSpec {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, `must be an object {model, inputs, output?}, got ${kind(v)}`, v)
  const o = v as Record<string, unknown>
  const model = str(o.model, `${path}.model`)
  let inputs: InferenceInputs
  if (Array.isArray(o.inputs)) {
    if (o.inputs.length === 0) fail(`${path}.inputs`, 'must name at least one input')
    inputs = o.inputs.map((a, i) => parseArg(a, `${path}.inputs[${i}]`))
  } else if (typeof o.inputs === 'object' && o.inputs !== null) {
    const entries = Object.entries(o.inputs as Record<string, unknown>)
    if (entries.length === 0) fail(`${path}.inputs`, 'must name at least one model input field')
    inputs = Object.fromEntries(entries.map(([field, a]) => {
      const at = `${path}.inputs.${field}`
      if (Array.isArray(a)) {
        if (a.length === 0) fail(at, 'an array of inputs must not be empty')
        return [field, a.map((x, i) => parseArg(x, `${at}[${i}]`))]
      }
      return [field, parseArg(a, at)]
    }))
  } else {
    fail(`${path}.inputs`, `must be an array of inputs or an object from model input fields to inputs, got ${kind(o.inputs)}`, o.inputs)
  }
  const spec: InferenceSpec = { model, inputs }
  if (o.output !== undefined) spec.output = str(o.output, `${path}.output`)
  return spec
}

function parseSource(v: unknown, path: string): SourceDefinition {
  if (typeof v === 'string') return { path: str(v, path) }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, `must be {"path": FILE_OR_FOLDER} or {"sql": QUERY}, got ${kind(v)}`, v)
  const o = v as Record<string, unknown>
  if (o.path !== undefined && o.sql === undefined) return { path: str(o.path, `${path}.path`) }
  if (o.sql !== undefined && o.path === undefined) return { sql: str(o.sql, `${path}.sql`) }
  return fail(path, 'must have exactly one of "path" or "sql"', v)
}

/** Checks the shape of one definition (JSON or TypeScript form) and returns it normalised. */
export function parseFeatureSet(value: unknown, at = 'definition'): FeatureSetDefinition {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(at, `must be an object, got ${kind(value)}`, value)
  const o = value as Record<string, unknown>
  const name = str(o.name, 'name')
  assertValidName(name, 'feature set')
  const p = (field: string) => `${name}.${field}`
  const entityRaw = typeof o.entity === 'string' ? [o.entity] : o.entity
  if (!Array.isArray(entityRaw) || entityRaw.length === 0) fail(p('entity'), 'must list one or more key columns', o.entity)
  const entity = entityRaw.map((e, i) => columnName(e, p(`entity[${i}]`)))
  const eventTime = columnName(o.event_time, p('event_time'))
  const source = parseSource(o.source, p('source'))
  if (!Array.isArray(o.features) || o.features.length === 0) fail(p('features'), 'must list at least one feature', o.features)
  const seen = new Set<string>([...entity, eventTime])
  const features = o.features.map((raw, i): FeatureDefinition => {
    const at = p(`features[${i}]`)
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(at, `must be an object {name, type, inference?}, got ${kind(raw)}`, raw)
    const f = raw as Record<string, unknown>
    const fname = columnName(f.name, `${at}.name`)
    if (seen.has(fname)) fail(`${name}.${fname}`, 'is defined twice (or repeats a key or event-time column)')
    seen.add(fname)
    const type = parseSchema([{ name: fname, type: f.type }], `${name}.${fname}`)[0]!.type
    const def: FeatureDefinition = { name: fname, type }
    if (f.description !== undefined) def.description = str(f.description, `${name}.${fname}.description`)
    if (f.inference !== undefined) def.inference = parseInference(f.inference, `${name}.${fname}.inference`)
    return def
  })
  const def: FeatureSetDefinition = { name, entity, event_time: eventTime, source, features }
  if (o.ttl !== undefined) {
    parseDuration(str(o.ttl, p('ttl')), p('ttl'))
    def.ttl = o.ttl as string
  }
  if (o.description !== undefined) def.description = str(o.description, p('description'))
  return def
}

/** The inputs a derived feature reads, flattened in order (constants excluded). */
export function inputFeatures(spec: InferenceSpec): string[] {
  const all = Array.isArray(spec.inputs) ? spec.inputs : Object.values(spec.inputs).flat()
  return all.filter((a): a is string => typeof a === 'string')
}
