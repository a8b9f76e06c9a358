/** A feature set's offline source as a DuckDB relation: a Parquet or CSV file, or a folder of them. */
import { readdir, stat } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { InvalidInput, Unsupported } from '../../errors.js'
import type { FeatureSetDefinition } from '../definition.js'
import { sqlString } from './duckdb-engine.js'

const READERS: Record<string, string> = { '.parquet': 'read_parquet', '.csv': 'read_csv' }

function reader(path: string, field: string): string {
  const fn = READERS[extname(path).toLowerCase()]
  if (!fn) throw new InvalidInput(`${field}: ${path} is neither .parquet nor .csv`, { field, got: path, expected: '.parquet or .csv' })
  return fn
}

/** `read_parquet('…')` / `read_csv('…')` for the source; refuses a missing path by name. */
export async function sourceRelation(def: FeatureSetDefinition): Promise<string> {
  const field = `${def.name}.source`
  if ('sql' in def.source) throw new Unsupported(`${field}: SQL sources are not readable by the offline engine yet; give a Parquet or CSV path`)
  const path = def.source.path
  const info = await stat(path).catch(() => null)
  if (!info) throw new InvalidInput(`${field}: source ${path} does not exist`, { field, got: path, expected: 'an existing file or folder' })
  if (!info.isDirectory()) return `${reader(path, field)}(${sqlString(path)})`
  const files = (await readdir(path)).filter((f) => READERS[extname(f).toLowerCase()])
  const kinds = new Set(files.map((f) => extname(f).toLowerCase()))
  if (kinds.size !== 1) {
    throw new InvalidInput(`${field}: folder ${path} must hold .parquet or .csv files of one kind, found ${kinds.size === 0 ? 'none' : [...kinds].join(' and ')}`, { field, got: path })
  }
  const ext = [...kinds][0]!
  return `${READERS[ext]}(${sqlString(join(path, `*${ext}`))})`
}
