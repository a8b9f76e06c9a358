/** Content negotiation for `/v1` inference: the input form by Content-Type, the answer by Accept. */
import type { InferInput } from '../../api/quiver-api.js'
import { InvalidInput } from '../../errors.js'
import type { OutputFormat } from '../../data/table-output.js'
import { mediaType, parseJson } from '../body.js'

export const ARROW_STREAM = 'application/vnd.apache.arrow.stream'
export const PARQUET = 'application/vnd.apache.parquet'

const INPUT_TYPES: Readonly<Record<string, InferInput['kind']>> = {
  'application/json': 'json',
  [ARROW_STREAM]: 'arrow',
  'application/vnd.apache.arrow.file': 'arrow',
  [PARQUET]: 'parquet',
  'application/x-parquet': 'parquet',
  'text/csv': 'csv',
}

/** Media type written for each output format. */
export const OUTPUT_MEDIA: Readonly<Record<OutputFormat, string>> = {
  records: 'application/json',
  columns: 'application/json',
  arrow: ARROW_STREAM,
  parquet: PARQUET,
  csv: 'text/csv; charset=utf-8',
}

const FORMAT_BY_ACCEPT: Readonly<Record<string, OutputFormat>> = {
  'application/json': 'records',
  [ARROW_STREAM]: 'arrow',
  'application/vnd.apache.arrow.file': 'arrow',
  [PARQUET]: 'parquet',
  'application/x-parquet': 'parquet',
  'text/csv': 'csv',
}

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['records', 'columns', 'arrow', 'parquet', 'csv']

/** The inference input a body stands for. No Content-Type is read as JSON. */
export function inferInputOf(contentType: string | undefined, body: Uint8Array): InferInput {
  const type = mediaType(contentType) || 'application/json'
  const kind = INPUT_TYPES[type] ?? (type.endsWith('+json') ? 'json' : undefined)
  switch (kind) {
    case 'json': return { kind: 'json', value: parseJson(body, 'the inference input') }
    case 'arrow': return { kind: 'arrow', bytes: body }
    case 'parquet': return { kind: 'parquet', bytes: body }
    case 'csv': return { kind: 'csv', text: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8') }
  }
  throw new InvalidInput(
    `Content-Type ${JSON.stringify(contentType)} is not an inference input; send ${Object.keys(INPUT_TYPES).join(', ')}`,
    { field: 'content-type', expected: Object.keys(INPUT_TYPES).join(', '), got: contentType },
  )
}

/** `?format=` wins; else the first Accept entry we can write; else JSON records. */
export function outputFormatOf(format: string | undefined, accept: string | undefined): OutputFormat {
  if (format) {
    if ((OUTPUT_FORMATS as readonly string[]).includes(format)) return format as OutputFormat
    throw new InvalidInput(`format must be one of ${OUTPUT_FORMATS.join(', ')}, got ${JSON.stringify(format)}`, {
      field: 'format', expected: OUTPUT_FORMATS.join(', '), got: format,
    })
  }
  for (const entry of (accept ?? '').split(',')) {
    const found = FORMAT_BY_ACCEPT[mediaType(entry)]
    if (found) return found
  }
  return 'records'
}
