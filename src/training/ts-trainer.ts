/**
 * A TypeScript/JavaScript trainer: a module exporting `train(X, y, config)` that returns the model
 * bytes and a framework (`{ bytes, framework, fileName?, outputSchema?, classes? }`). It is the
 * user's own code, run in this process like a `js` model.
 */
import { writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ModelSchema } from '../data/schema.js'
import { RuntimeFailure, errorMessage } from '../errors.js'
import type { Labels } from '../evaluation/labels.js'

export interface TsTrainerInput {
  X: { columns: string[]; rows: number; values: Float64Array }
  y: (number | string)[] | null
  config: Record<string, string>
}

export interface TsTrainerOutput {
  path: string
  framework: string
  outputSchema?: ModelSchema
  inputSchema?: ModelSchema
  classes?: (number | string)[]
}

export async function runTsTrainer(trainer: string, input: TsTrainerInput, workDir: string): Promise<TsTrainerOutput> {
  let mod: { train?: unknown; default?: { train?: unknown } }
  try {
    mod = await import(pathToFileURL(resolve(trainer)).href)
  } catch (err) {
    throw new RuntimeFailure(`the trainer ${trainer} could not be loaded: ${errorMessage(err)}`, { trainer })
  }
  const train = (mod.train ?? mod.default?.train) as ((...a: unknown[]) => unknown) | undefined
  if (typeof train !== 'function') throw new RuntimeFailure(`the trainer ${trainer} exports no train(X, y, config) function`, { trainer })
  let out: unknown
  try {
    out = await train(input.X, input.y, input.config)
  } catch (err) {
    throw new RuntimeFailure(`the trainer failed: ${errorMessage(err)}`, { trainer })
  }
  const o = out as { bytes?: unknown; framework?: unknown; fileName?: unknown; outputSchema?: ModelSchema; inputSchema?: ModelSchema; classes?: (number | string)[] } | null
  if (!o || !(o.bytes instanceof Uint8Array) || typeof o.framework !== 'string') {
    throw new RuntimeFailure(`the trainer returned ${describe(out)}, which Quiver cannot serialize: expected { bytes: Uint8Array, framework: string }`, { trainer })
  }
  const path = join(workDir, typeof o.fileName === 'string' ? o.fileName.replace(/[/\\]/g, '_') : 'model.bin')
  await writeFile(path, o.bytes)
  return { path, framework: o.framework, outputSchema: o.outputSchema, inputSchema: o.inputSchema, classes: o.classes }
}

export function labelsArray(y: Labels | null, index: Int32Array): (number | string)[] | null {
  if (y === null) return null
  return Array.from(index, (i) => y.values[i]!)
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v)
  if (typeof v !== 'object') return `a ${typeof v}`
  return `an object with ${Object.keys(v).join(', ') || 'no keys'}`
}
