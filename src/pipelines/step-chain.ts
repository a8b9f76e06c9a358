/**
 * How step i+1 receives step i's outputs: by name, or through the step's map (previous output
 * name → input name). Checked when a pipeline version is made, so a chain that cannot run is
 * refused naming the fields, never discovered while serving.
 */
import * as arrow from 'apache-arrow'
import { isOptional, sameType, typeLabel, type ModelSchema } from '../data/schema.js'
import { Conflict, InvalidInput, NotFound } from '../errors.js'
import type { PipelineDefinition, PipelineStep } from '../records/pipeline-record.js'
import type { Registry } from '../registry/registry.js'
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
      if (!got) {
        if (!isOptional(want)) problems.push(`input '${want.name}' (${typeLabel(want.type)}) is not among its outputs ${names(outputs)}`)
      }
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

/**
 * The next step's input columns out of the previous step's output table (types already checked);
 * an optional input the previous step does not give is left out, and reading the table fills it with nulls.
 */
export function nextInput(previous: arrow.Table, map: Readonly<Record<string, string>>, allInputs: ModelSchema): arrow.Table {
  const byInput = new Map<string, number>()
  previous.schema.fields.forEach((f, k) => byInput.set(map[f.name] ?? f.name, k))
  const inputs = allInputs.filter((want) => byInput.has(want.name))
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

export function chainSchemas(chain: readonly ChainStep[]): { in: ModelSchema; out: ModelSchema } {
  return { in: chain[0]!.version.input_schema ?? [], out: chain[chain.length - 1]!.version.output_schema ?? [] }
}

export function assertSameSchemas(before: ChainStep, after: ChainStep, index: number, pipeline?: string): void {
  for (const which of ['input_schema', 'output_schema'] as const) {
    const a = JSON.stringify(before.version[which])
    const b = JSON.stringify(after.version[which])
    if (a !== b) {
      throw new InvalidInput(
        `${pipeline ? `pipeline '${pipeline}' ` : ''}step ${index} cannot swap from ${before.version.name}#${before.version.seq} to ${after.version.name}#${after.version.seq}: their ${which.replace('_', ' ')}s differ (${describe(before.version[which])} vs ${describe(after.version[which])}); a hot swap needs the same schemas`,
        { field: which, expected: a, got: b },
      )
    }
  }
}

const describe = (s: ModelSchema | null) => (s ? s.map((f) => `${f.name}:${typeof f.type === 'string' ? f.type : JSON.stringify(f.type)}`).join(', ') : 'none')

export function normalSteps(steps: unknown): PipelineStep[] {
  if (!Array.isArray(steps)) throw new InvalidInput('steps must be a list of {ref, map}', { field: 'steps' })
  return steps.map((s, i) => {
    const ref = (s as PipelineStep)?.ref
    if (typeof ref !== 'string' || ref === '') throw new InvalidInput(`step ${i + 1} needs a model reference`, { field: `steps[${i}].ref` })
    const map = (s as PipelineStep).map ?? {}
    if (typeof map !== 'object' || map === null || Object.values(map).some((v) => typeof v !== 'string')) {
      throw new InvalidInput(`step ${i + 1}'s map must name output → input fields as strings`, { field: `steps[${i}].map` })
    }
    return Object.keys(map).length ? { ref, map } : { ref }
  })
}

/** Resolves every step and checks the chain; `ready` insists each version can be loaded. */
export async function resolveChain(registry: Registry, def: PipelineDefinition, ws: string, opts: { ready?: boolean } = {}): Promise<ChainStep[]> {
  if (!Array.isArray(def.steps) || def.steps.length === 0) {
    throw new InvalidInput('a pipeline needs at least one step (--step REF)', { field: 'steps' })
  }
  const chain = await Promise.all(def.steps.map((s, i) => resolveStep(registry, s, ws, i)))
  if (opts.ready) {
    chain.forEach((s, i) => {
      if (s.version.status !== 'ready') {
        throw new Conflict(`step ${i + 1} (${s.ref} = ${s.version.name}#${s.version.seq}) is in status ${s.version.status}${s.version.error_message ? `: ${s.version.error_message}` : ''}; a deployment needs every step ready`, {
          step: i, status: s.version.status,
        })
      }
    })
  }
  checkChain(chain)
  return chain
}

export async function resolveStep(registry: Registry, s: PipelineStep, ws: string, i: number): Promise<ChainStep> {
  try {
    return { ref: s.ref, map: s.map ?? {}, version: await registry.resolve(s.ref, ws) }
  } catch (err) {
    if (err instanceof NotFound || err instanceof InvalidInput) {
      const Kind = err instanceof NotFound ? NotFound : InvalidInput
      throw new Kind(`step ${i + 1}: ${err.message}`, { ...err.details, step: i })
    }
    throw err
  }
}
