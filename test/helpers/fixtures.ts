import { readdirSync, readFileSync, existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Tolerance } from './compare.js'

export const MODEL_FIXTURES = resolve(import.meta.dirname, '../fixtures/models')

export interface ModelCase {
  name: string
  dir: string
  framework: string
  artifact: string
  input_schema: unknown[]
  output_schema: { name: string }[]
  tolerance: Tolerance
  input: { columns: Record<string, unknown[]> }
  expected: { columns: Record<string, unknown[]> }
}

/** Every case folder under test/fixtures/models, read generically from its case.json. */
export function modelCases(filter?: (c: ModelCase) => boolean): ModelCase[] {
  return readdirSync(MODEL_FIXTURES, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(MODEL_FIXTURES, e.name, 'case.json')))
    .map((e) => {
      const dir = join(MODEL_FIXTURES, e.name)
      const read = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8'))
      return { name: e.name, dir, ...read('case.json'), input: read('input.json'), expected: read('expected.json') } as ModelCase
    })
    .filter((c) => !filter || filter(c))
}
