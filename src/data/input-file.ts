/** An inference input file (or standard input) → `InferInput`, chosen by the file's extension or format. */
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
  return decodeInput(bytes, ext, name)
}

export const INPUT_FORMATS = ['json', 'jsonl', 'arrow', 'parquet', 'csv'] as const
export type InputFormat = (typeof INPUT_FORMATS)[number]

/**
 * Bytes read from standard input. Without a format it is told from the bytes: Parquet's and Arrow's
 * magic numbers, JSON's opening bracket, else CSV.
 */
export function readInputBytes(bytes: Buffer, format?: InputFormat): InferInput {
  const chosen = format ?? sniffFormat(bytes)
  return decodeInput(bytes, `.${chosen === 'arrow' ? 'arrows' : chosen}`, 'standard input')
}

function sniffFormat(bytes: Buffer): InputFormat {
  const head = bytes.subarray(0, 8)
  if (head.subarray(0, 4).toString('latin1') === 'PAR1') return 'parquet'
  if (head.subarray(0, 6).toString('latin1') === 'ARROW1' || (head.byteLength >= 4 && head.readUInt32LE(0) === 0xffffffff)) return 'arrow'
  const first = bytes.toString('utf8', 0, Math.min(bytes.byteLength, 256)).replace(/^\uFEFF/, '').trimStart()[0]
  return first === '[' || first === '{' ? 'json' : 'csv'
}

function decodeInput(bytes: Buffer, ext: string, name: string): InferInput {
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
