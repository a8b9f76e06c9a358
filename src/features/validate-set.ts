/**
 * Apply-time checks of feature-set definitions: every input names a known feature (of this set or
 * of a related set joined through its entity key), every model exists and its input and output
 * types fit the declared features, base features match their source columns, and no derived
 * feature depends on itself. Each refusal names the path that is wrong.
 */
import { InvalidInput, NotFound, isQuiverError } from '../errors.js'
import { isListType, isOptional, sameType, typeLabel, type FieldType, type ModelSchema, type SchemaField } from '../data/schema.js'
import { isNumericType } from '../data/scalar-codecs.js'
import type { VersionRecord } from '../records/version-record.js'
import { inputFeatures, type FeatureSetDefinition, type InferenceArg, type InferenceSpec } from './definition.js'

/** A definition with the types of its key and event-time columns as found in its source. */
export interface TypedFeatureSet {
  definition: FeatureSetDefinition
  keys: SchemaField[]
}

export interface ValidationContext {
  /** Another set by name: one being applied together with this one, or the newest stored version. */
  set(name: string): Promise<TypedFeatureSet | undefined>
  /** The model version a reference names; throws NotFound when there is none. */
  model(ref: string): Promise<VersionRecord>
}

const isInteger = (t: FieldType) => isNumericType(t) && !t.startsWith('float')

/** Whether a source column of type `from` can feed a feature declared `to` without losing values. */
export function fitsDeclared(from: FieldType, to: FieldType): boolean {
  if (sameType(from, to)) return true
  if (isNumericType(from) && isNumericType(to)) return !(isInteger(to) && !isInteger(from))
  if (isListType(from) && isListType(to)) return (to.size === null || from.size === to.size) && fitsDeclared(from.list, to.list)
  return false
}

/** Checks the base features against the source columns; returns the key columns with their types. */
export function typeSourceColumns(def: FeatureSetDefinition, columns: SchemaField[], sourceLabel: string): SchemaField[] {
  const byName = new Map(columns.map((c) => [c.name, c]))
  const need = (name: string, what: string) => {
    const c = byName.get(name)
    if (!c) {
      throw new InvalidInput(`feature set ${def.name}: ${what} '${name}' is not a column of ${sourceLabel} (columns: ${columns.map((x) => x.name).join(', ')})`, {
        field: `${def.name}.${name}`, expected: 'a source column',
      })
    }
    return c
  }
  const keys = def.entity.map((k) => need(k, 'entity key'))
  const time = need(def.event_time, 'event_time column')
  if (time.type !== 'timestamp[ms]' && !isInteger(time.type)) {
    throw new InvalidInput(`feature set ${def.name}: event_time column '${def.event_time}' of ${sourceLabel} is ${typeLabel(time.type)}, expected a timestamp or an integer of epoch milliseconds`, {
      field: `${def.name}.${def.event_time}`, expected: 'timestamp', got: typeLabel(time.type),
    })
  }
  for (const f of def.features) {
    if (f.inference) continue
    const c = need(f.name, 'base feature')
    if (!fitsDeclared(c.type, f.type)) {
      throw new InvalidInput(`feature set ${def.name}: base feature '${f.name}' is declared ${typeLabel(f.type)} but column '${f.name}' of ${sourceLabel} is ${typeLabel(c.type)}`, {
        field: `${def.name}.${f.name}`, expected: typeLabel(f.type), got: typeLabel(c.type),
      })
    }
  }
  return keys.map((k) => ({ name: k.name, type: k.type, nullable: false }))
}

/** The type a reference resolves to, or a NotFound/InvalidInput naming the path. */
async function argType(arg: string, self: TypedFeatureSet, ctx: ValidationContext, path: string): Promise<FieldType> {
  const dot = arg.indexOf('.')
  if (dot < 0) return localType(self, arg, path)
  const setName = arg.slice(0, dot)
  const feature = arg.slice(dot + 1)
  const other = setName === self.definition.name ? self : await ctx.set(setName)
  if (!other) throw new NotFound(`${path}: feature set '${setName}' does not exist (in ${arg})`, { field: path, got: arg })
  if (other !== self) {
    for (const k of other.definition.entity) {
      const joinable = self.keys.some((x) => x.name === k) || self.definition.features.some((f) => f.name === k && !f.inference)
      if (!joinable) {
        throw new InvalidInput(`${path}: ${arg} joins through ${setName}'s entity key '${k}', which is neither a key column nor a base feature of ${self.definition.name}`, {
          field: path, got: arg, expected: `a column '${k}' in ${self.definition.name}`,
        })
      }
    }
  }
  return localType(other, feature, path, arg)
}

function localType(set: TypedFeatureSet, name: string, path: string, shown = name): FieldType {
  const key = set.keys.find((k) => k.name === name)
  if (key) return key.type
  const f = set.definition.features.find((x) => x.name === name)
  if (!f) {
    const known = [...set.keys.map((k) => k.name), ...set.definition.features.map((x) => x.name)].join(', ')
    throw new NotFound(`${path}: unknown feature '${shown}' (feature set ${set.definition.name} has ${known})`, { field: path, got: shown })
  }
  return f.type
}

/** How many values an input contributes when packed into a fixed-size list; null when it cannot be. */
function packedWidth(t: FieldType): number | null {
  if (isNumericType(t) || t === 'bool') return 1
  if (isListType(t) && t.size !== null && (isNumericType(t.list) || t.list === 'bool')) return t.size
  return null
}

async function packedCount(args: InferenceArg[], self: TypedFeatureSet, ctx: ValidationContext, path: string): Promise<number> {
  let n = 0
  for (const [i, a] of args.entries()) {
    if (typeof a !== 'string') {
      n += 1
      continue
    }
    const t = await argType(a, self, ctx, `${path}[${i}]`)
    const w = packedWidth(t)
    if (w === null) {
      throw new InvalidInput(`${path}[${i}]: '${a}' is ${typeLabel(t)}, which cannot be packed into a numeric list`, { field: `${path}[${i}]`, got: typeLabel(t) })
    }
    n += w
  }
  return n
}

function mismatch(path: string, expected: string, got: string, what: string): InvalidInput {
  return new InvalidInput(`${path}: ${what}: model expects ${expected}, got ${got}`, { field: path, expected, got })
}

async function checkInputs(spec: InferenceSpec, inputs: ModelSchema, self: TypedFeatureSet, ctx: ValidationContext, path: string): Promise<void> {
  const fieldsOf = inputs.map((f) => f.name).join(', ')
  const packInto = async (field: SchemaField, args: InferenceArg[], at: string) => {
    const t = field.type
    if (!isListType(t) || t.size === null || packedWidth(t) === null) {
      throw mismatch(at, typeLabel(t), `${args.length} packed values`, `input field '${field.name}' is not a fixed-size numeric list`)
    }
    const n = await packedCount(args, self, ctx, at)
    if (n !== t.size) throw mismatch(at, typeLabel(t), `${n} values`, `input field '${field.name}' takes ${t.size} values`)
  }
  if (Array.isArray(spec.inputs)) {
    if (inputs.length !== 1) {
      throw new InvalidInput(`${path}.inputs: an array of inputs fills a model's single input field, but ${spec.model} has ${inputs.length} (${fieldsOf}); name them with an object`, { field: `${path}.inputs` })
    }
    return packInto(inputs[0]!, spec.inputs, `${path}.inputs`)
  }
  const given = Object.keys(spec.inputs)
  for (const name of given) {
    if (!inputs.some((f) => f.name === name)) {
      throw new InvalidInput(`${path}.inputs.${name}: ${spec.model} has no input field '${name}' (its inputs: ${fieldsOf})`, { field: `${path}.inputs.${name}` })
    }
  }
  for (const field of inputs) {
    const at = `${path}.inputs.${field.name}`
    const arg = spec.inputs[field.name]
    if (arg === undefined && isOptional(field)) continue
    if (arg === undefined) throw new InvalidInput(`${at}: ${spec.model} needs input field '${field.name}' (${typeLabel(field.type)}), which is not given`, { field: at })
    if (Array.isArray(arg)) {
      await packInto(field, arg, at)
    } else if (typeof arg !== 'string') {
      if (!isNumericType(field.type) && field.type !== 'bool') throw mismatch(at, typeLabel(field.type), `the constant ${arg}`, `input field '${field.name}'`)
    } else {
      const t = await argType(arg, self, ctx, at)
      const ok = fitsDeclared(t, field.type) || (isNumericType(t) && isNumericType(field.type)) ||
        (isListType(t) && isListType(field.type) && t.size === field.type.size && packedWidth(t) !== null && packedWidth(field.type) !== null)
      if (!ok) throw mismatch(at, typeLabel(field.type), `${typeLabel(t)} ('${arg}')`, `input field '${field.name}'`)
    }
  }
}

/** The model output field a derived feature takes. */
export function outputField(spec: InferenceSpec, outputs: ModelSchema, path: string): SchemaField {
  const names = outputs.map((f) => f.name).join(', ')
  if (spec.output === undefined) {
    if (outputs.length !== 1) throw new InvalidInput(`${path}.output: ${spec.model} has ${outputs.length} outputs (${names}); name one with "output"`, { field: `${path}.output` })
    return outputs[0]!
  }
  const f = outputs.find((o) => o.name === spec.output)
  if (!f) throw new InvalidInput(`${path}.output: ${spec.model} has no output '${spec.output}' (its outputs: ${names})`, { field: `${path}.output`, got: spec.output })
  return f
}

/** Checks one typed definition against the sets and models it names. */
export async function validateFeatureSet(self: TypedFeatureSet, ctx: ValidationContext): Promise<void> {
  const def = self.definition
  for (const f of def.features) {
    if (!f.inference) continue
    const path = `${def.name}.${f.name}.inference`
    let model: VersionRecord
    try {
      model = await ctx.model(f.inference.model)
    } catch (err) {
      if (isQuiverError(err) && (err.code === 'not_found' || err.code === 'invalid_input')) {
        throw new NotFound(`${path}.model: unknown model ${JSON.stringify(f.inference.model)}: ${err.message}`, { field: `${path}.model`, got: f.inference.model })
      }
      throw err
    }
    if (!model.input_schema || !model.output_schema) {
      throw new InvalidInput(`${path}.model: ${model.name}#${model.seq} has no known input/output schema yet (status ${model.status})`, { field: `${path}.model` })
    }
    await checkInputs(f.inference, model.input_schema, self, ctx, path)
    const out = outputField(f.inference, model.output_schema, path)
    if (!sameType(out.type, f.type)) {
      throw new InvalidInput(`${def.name}.${f.name}: declared ${typeLabel(f.type)} but ${model.name}#${model.seq} output '${out.name}' is ${typeLabel(out.type)}`, {
        field: `${def.name}.${f.name}`, expected: typeLabel(f.type), got: typeLabel(out.type),
      })
    }
  }
  await refuseCycles(self, ctx)
}

/** Walks derived-feature dependencies across sets; a path that returns to its start is refused. */
async function refuseCycles(self: TypedFeatureSet, ctx: ValidationContext): Promise<void> {
  const sets = new Map<string, TypedFeatureSet>([[self.definition.name, self]])
  const setOf = async (name: string) => {
    if (!sets.has(name)) {
      const s = await ctx.set(name)
      if (s) sets.set(name, s)
    }
    return sets.get(name)
  }
  const done = new Set<string>()
  const visit = async (node: string, stack: string[]): Promise<void> => {
    if (done.has(node)) return
    const at = stack.indexOf(node)
    if (at >= 0) {
      const cycle = [...stack.slice(at), node].join(' → ')
      throw new InvalidInput(`derived features form a cycle: ${cycle}`, { field: node, got: cycle })
    }
    const [setName, fname] = node.split('.') as [string, string]
    const f = (await setOf(setName))?.definition.features.find((x) => x.name === fname)
    if (f?.inference) {
      for (const dep of inputFeatures(f.inference)) await visit(dep.includes('.') ? dep : `${setName}.${dep}`, [...stack, node])
    }
    done.add(node)
  }
  for (const f of self.definition.features) await visit(`${self.definition.name}.${f.name}`, [])
}
