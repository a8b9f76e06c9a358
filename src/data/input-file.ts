/** An inference input file → `InferInput`, chosen by the file's extension. */
import { readFile } from 'node:fs/promises'
import { basename, extname } from 'node:path'
import { parseExactJson } from './exact-json.js'
import { checkJsonDepth } from './json-depth.js'
import type { InferInput } from './infer-input.js'
import { InvalidInput, errorMessage } from '../errors.js'

const ARROW_EXTENSIONS = new Set(['.arrow', '.arrows', '.ipc', '.feather'])
const JSON_LINES_EXTENSIONS = new Set(['.jsonl', '.ndjson'])
const KNOWN = '.json, .jsonl, .ndjson, .arrow, .arrows, .ipc, .feather, .parquet, .csv'

/**
 * Reads `path` as JSON (records or columns), JSON lines (one record per line), Arrow IPC, Parquet
 * or CSV according to its extension.
 */
export async function readInputFile(path: string): Promise<InferInput> {
  const ext = extname(path).toLowerCase()
  const name = basename(path)
  const isJson = ext === '.json' || JSON_LINES_EXTENSIONS.has(ext)
  if (!isJson && !ARROW_EXTENSIONS.has(ext) && ext !== '.parquet' && ext !== '.csv') {
    throw new InvalidInput(`input file ${name} has ${ext === '' ? 'no extension' : `unknown extension '${ext}'`}; known: ${KNOWN}`, {
      expected: KNOWN, got: ext === '' ? 'no extension' : ext,
    })
  }
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (err) {
    const code = (err as { code?: string }).code
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder' : `cannot be read: ${errorMessage(err)}`
    throw new InvalidInput(`input file ${path} ${why}`, { got: code ?? 'unreadable' }, { cause: err })
  }
  if (ext === '.parquet') return { kind: 'parquet', bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) }
  if (ARROW_EXTENSIONS.has(ext)) return { kind: 'arrow', bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) }
  const text = bytes.toString('utf8')
  if (ext === '.csv') return { kind: 'csv', text }
  if (ext === '.json') return { kind: 'json', value: parseJson(text, name) }
  const records = text.split(/\r?\n/).flatMap((line, k) => (line.trim() === '' ? [] : [parseJson(line, `${name} line ${k + 1}`)]))
  return { kind: 'json', value: records }
}

function parseJson(text: string, what: string): unknown {
  checkJsonDepth(text, `input file ${what}`)
  try {
    return parseExactJson(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
  } catch (err) {
    throw new InvalidInput(`input file ${what} is not valid JSON: ${errorMessage(err)}`, { expected: 'JSON', got: 'invalid JSON' }, { cause: err })
  }
}
