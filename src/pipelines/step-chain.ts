/**
 * How step i+1 receives step i's outputs: by name, or through the step's map (previous output
 * name → input name). Checked when a pipeline version is made, so a chain that cannot run is
 * refused naming the fields, never discovered while serving.
 */
import * as arrow from 'apache-arrow'
import { sameType, typeLabel, type ModelSchema } from '../data/schema.js'
import { InvalidInput } from '../errors.js'
import type { VersionRecord } from '../records/version-record.js'

export interface ChainStep {
  ref: string
  map: Readonly<Record<string, string>>
  version: VersionRecord
}

const label = (s: ChainStep, i: number) => `step ${i + 1} (${s.ref} = ${s.version.name}#${s.version.seq})`

/** Refuses a chain where a step's inputs are not all given, with the right types, by the step before. */
export function checkChain(steps: readonly ChainStep[]): void {
  steps.forEach((step, i) => {
    if (i === 0) {
      if (Object.keys(step.map).length > 0) {
        throw new InvalidInput(`${label(step, i)} maps fields but is the first step; a map renames the previous step's outputs`, { field: 'map' })
      }
      return
    }
    // A version that never became ready has no schemas to check; deploy refuses it.
    const outputs = steps[i - 1]!.version.output_schema
    if (!outputs || !step.version.input_schema) return
    const unknown = Object.keys(step.map).filter((name) => !outputs.some((f) => f.name === name))
    if (unknown.length > 0) {
      throw new InvalidInput(`${label(step, i)} maps ${unknown.map((n) => `'${n}'`).join(', ')}, which ${label(steps[i - 1]!, i - 1)} does not output; its outputs are ${names(outputs)}`, {
        field: 'map', got: unknown.join(', '), expected: outputs.map((f) => f.name).join(', '),
      })
    }
    const given = renamed(outputs, step.map)
    const problems: string[] = []
    for (const want of step.version.input_schema) {
      const got = given.get(want.name)
      if (!got) problems.push(`input '${want.name}' (${typeLabel(want.type)}) is not among its outputs ${names(outputs)}`)
      else if (!sameType(got.type, want.type)) problems.push(`input '${want.name}' needs ${typeLabel(want.type)} but output '${got.from}' is ${typeLabel(got.type)}`)
    }
    if (problems.length > 0) {
      throw new InvalidInput(`${label(step, i)} cannot take the output of ${label(steps[i - 1]!, i - 1)}: ${problems.join('; ')} (map fields with --map OUT=IN)`, {
        field: `steps[${i}]`, got: problems.join('; '),
      })
    }
  })
}

function renamed(outputs: ModelSchema, map: Readonly<Record<string, string>>): Map<string, { type: ModelSchema[number]['type']; from: string }> {
  const given = new Map<string, { type: ModelSchema[number]['type']; from: string }>()
  for (const f of outputs) given.set(map[f.name] ?? f.name, { type: f.type, from: f.name })
  return given
}

const names = (schema: ModelSchema) => `(${schema.map((f) => f.name).join(', ') || 'none'})`

/** The next step's input columns out of the previous step's output table (types already checked). */
export function nextInput(previous: arrow.Table, map: Readonly<Record<string, string>>, inputs: ModelSchema): arrow.Table {
  const byInput = new Map<string, number>()
  previous.schema.fields.forEach((f, k) => byInput.set(map[f.name] ?? f.name, k))
  const columns = inputs.map((want) => byInput.get(want.name)!)
  const fields = inputs.map((want, i) => {
    const f = previous.schema.fields[columns[i]!]!
    return new arrow.Field(want.name, f.type, f.nullable)
  })
  const schema = new arrow.Schema(fields)
  const batches = previous.batches.map((b) => new arrow.RecordBatch(schema, arrow.makeData({
    type: new arrow.Struct(fields), length: b.numRows, nullCount: 0,
    children: columns.map((k) => b.getChildAt(k)!.data[0]!),
  })))
  return new arrow.Table(schema, batches)
}
