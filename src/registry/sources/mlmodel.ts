/**
 * MLflow's `MLmodel` file: which flavors the model was saved with and its signature, mapped onto
 * Quiver's framework and schemas. The file is YAML as PyYAML's `safe_dump` writes it (block
 * mappings, plain or quoted scalars folded over several lines, block lists); this reads that
 * subset, which is all MLflow writes.
 */
import type { FieldType, ModelSchema, ScalarType, SchemaField } from '../../data/schema.js'
import { InvalidInput } from '../../errors.js'
import type { Framework } from '../../records/frameworks.js'

type Yaml = string | null | boolean | number | Yaml[] | { [k: string]: Yaml }

/** Parses the block-YAML subset PyYAML writes for MLmodel files. */
export function parseMlmodelYaml(text: string): Record<string, Yaml> {
  const lines = text.replace(/\r\n/g, '\n').split('\n')
  let i = 0
  const indentOf = (l: string) => l.length - l.trimStart().length
  const skip = () => {
    while (i < lines.length && (lines[i]!.trim() === '' || lines[i]!.trim().startsWith('#'))) i++
  }
  function scalar(first: string, indent: number): Yaml {
    let s = first.trim()
    const q = s[0]
    if (q === "'" || q === '"') {
      // A quoted scalar runs to its closing quote, folded over lines (each break is one space).
      const closed = (x: string) => (q === "'" ? /(^|[^'])('')*'$/.test(x.slice(1)) && x.length > 1 : /(^|[^\\])"$/.test(x.slice(1)) && x.length > 1)
      while (!closed(s) && i < lines.length) s += ` ${lines[i++]!.trim()}`
      const body = s.slice(1, -1)
      return q === "'" ? body.replace(/''/g, "'") : JSON.parse(`"${body}"`)
    }
    while (i < lines.length && lines[i]!.trim() !== '' && indentOf(lines[i]!) > indent && !/^\s*[^\s:]+:( |$)/.test(lines[i]!)) s += ` ${lines[i++]!.trim()}`
    if (s === 'null' || s === '~' || s === '') return null
    if (s === 'true' || s === 'false') return s === 'true'
    if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s)
    return s
  }
  function block(indent: number): Yaml {
    skip()
    if (i >= lines.length) return null
    if (lines[i]!.trimStart().startsWith('- ') || lines[i]!.trim() === '-') {
      const list: Yaml[] = []
      while (i < lines.length) {
        skip()
        const l = lines[i]
        if (l === undefined || indentOf(l) !== indent || !l.trimStart().startsWith('-')) break
        i++
        list.push(scalar(l.trimStart().slice(1), indent))
      }
      return list
    }
    const map: Record<string, Yaml> = {}
    while (i < lines.length) {
      skip()
      const l = lines[i]
      if (l === undefined || indentOf(l) !== indent) break
      const m = /^\s*([^:]+?):(?: (.*))?$/.exec(l)
      if (!m) throw new InvalidInput(`MLmodel line ${i + 1} is not YAML this reader knows: ${JSON.stringify(l.trim())}`, { field: 'MLmodel', row: i + 1 })
      i++
      const key = m[1]!.trim()
      const rest = m[2]
      if (rest !== undefined && rest.trim() !== '') map[key] = scalar(rest, indent)
      else {
        skip()
        const next = lines[i]
        map[key] = next !== undefined && (indentOf(next) > indent || (indentOf(next) === indent && next.trimStart().startsWith('- '))) ? block(indentOf(next)) : null
      }
    }
    return map
  }
  const root = block(0)
  if (typeof root !== 'object' || root === null || Array.isArray(root)) throw new InvalidInput('MLmodel is not a YAML mapping', { field: 'MLmodel' })
  return root
}

/** Flavors Quiver runs, in the order they are preferred, and the flavor key naming the model file. */
const RUNNABLE: readonly { flavor: string; framework: Framework; file: string }[] = [
  { flavor: 'onnx', framework: 'onnx', file: 'data' },
  { flavor: 'sklearn', framework: 'sklearn', file: 'pickled_model' },
  { flavor: 'xgboost', framework: 'xgboost', file: 'data' },
]
/** Flavors Quiver knows as frameworks it cannot run here: registered with status `error` by the runtime table. */
const KNOWN: readonly { flavor: string; framework: Framework }[] = [
  { flavor: 'tensorflow', framework: 'tensorflow' },
  { flavor: 'keras', framework: 'keras' },
]

export interface MlmodelPlan {
  flavors: string[]
  framework: Framework
  /** The model file inside the model folder, or null when Quiver cannot run any of its flavors. */
  file: string | null
  /** Why no flavor runs here (then the version is registered with status `error`). */
  unsupported?: string
  input_schema: ModelSchema | null
  output_schema: ModelSchema | null
  feature_names?: string[]
}

export function planMlmodel(mlmodel: Record<string, Yaml>): MlmodelPlan {
  const flavors = typeof mlmodel.flavors === 'object' && mlmodel.flavors !== null && !Array.isArray(mlmodel.flavors) ? mlmodel.flavors as Record<string, Yaml> : {}
  const names = Object.keys(flavors)
  const runnable = RUNNABLE.find((r) => r.flavor in flavors)
  const signature = (mlmodel.signature ?? null) as Record<string, Yaml> | null
  if (runnable) {
    const spec = flavors[runnable.flavor] as Record<string, Yaml>
    const file = typeof spec?.[runnable.file] === 'string' ? spec[runnable.file] as string : null
    if (!file) throw new InvalidInput(`MLmodel flavor ${runnable.flavor} names no model file (${runnable.file})`, { field: 'MLmodel' })
    const schemas = runnable.framework === 'onnx' ? { input_schema: null, output_schema: null } : signatureSchemas(signature, runnable.framework)
    return { flavors: names, framework: runnable.framework, file, ...schemas }
  }
  const known = KNOWN.find((k) => k.flavor in flavors)
  return {
    flavors: names, framework: known?.framework ?? 'mlflow', file: null,
    unsupported: `MLflow flavor${names.length === 1 ? '' : 's'} ${names.join(', ') || '(none)'}: Quiver runs the onnx, sklearn and xgboost flavors`,
    ...signatureSchemas(signature, known?.framework ?? 'mlflow'),
  }
}

const DTYPES: Record<string, ScalarType> = {
  float64: 'float64', double: 'float64', float32: 'float32', float: 'float32', int64: 'int64', long: 'int64', int32: 'int32',
  integer: 'int32', int16: 'int16', int8: 'int8', uint8: 'uint8', bool: 'bool', boolean: 'bool', str: 'string', string: 'string',
  object: 'string', binary: 'binary', bytes: 'binary', datetime: 'timestamp[ms]',
}

interface SpecEntry { type: string; name?: string; 'tensor-spec'?: { dtype: string; shape: number[] }; optional?: boolean; required?: boolean }

/** MLflow's signature (column or tensor specs) → Quiver schemas, following SPEC §3's conventions for sklearn and xgboost. */
export function signatureSchemas(signature: Record<string, Yaml> | null, framework: Framework): Pick<MlmodelPlan, 'input_schema' | 'output_schema' | 'feature_names'> {
  if (!signature || typeof signature.inputs !== 'string') return { input_schema: null, output_schema: null }
  const inputs = JSON.parse(signature.inputs) as SpecEntry[]
  const outputs = typeof signature.outputs === 'string' ? JSON.parse(signature.outputs) as SpecEntry[] : []
  const packed = framework === 'sklearn' || framework === 'xgboost'
  let input_schema: ModelSchema
  let feature_names: string[] | undefined
  if (packed && inputs.length > 0 && inputs.every((e) => e.type !== 'tensor')) {
    feature_names = inputs.map((e, k) => e.name ?? `f${k}`)
    input_schema = [{ name: 'inputs', type: { list: 'float64', size: inputs.length }, nullable: false }]
  } else {
    input_schema = inputs.map((e, k) => specField(e, packed && inputs.length === 1 ? 'inputs' : `input_${k + 1}`))
  }
  const output_schema = outputs.map((e, k) => specField(e, packed && outputs.length === 1 ? 'predictions' : outputs.length === 1 ? 'output' : `output_${k + 1}`))
  return { input_schema, output_schema: output_schema.length ? output_schema : null, ...(feature_names ? { feature_names } : {}) }
}

function specField(e: SpecEntry, fallback: string): SchemaField {
  if (e.type === 'tensor') {
    const t = e['tensor-spec']!
    const base = DTYPES[t.dtype]
    if (!base) throw new InvalidInput(`MLmodel signature tensor dtype '${t.dtype}' has no Quiver type`, { field: 'signature', got: t.dtype })
    let type: FieldType = base
    for (const d of [...t.shape.slice(1)].reverse()) type = { list: type, size: d < 0 ? null : d }
    return { name: e.name ?? fallback, type, nullable: false }
  }
  const base = DTYPES[e.type]
  if (!base) throw new InvalidInput(`MLmodel signature column type '${e.type}' has no Quiver type`, { field: 'signature', got: e.type })
  return { name: e.name ?? fallback, type: base, nullable: e.required === false || e.optional === true }
}
