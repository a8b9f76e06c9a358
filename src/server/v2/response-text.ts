/**
 * V2 answers as JSON text with exact tensor data: `JSON.stringify` writes the envelope, and each
 * output's `data` is spliced in by `stringifyExactArray` (INT64 beyond ±2^53 as bare digits).
 */
import { stringifyExactArray } from '../../data/exact-json.js'
import type { InferenceResponse } from './types.js'

export function responseText(response: InferenceResponse): string {
  const { outputs, ...envelope } = response
  const parts = outputs.map(({ data, ...head }) => {
    const text = JSON.stringify(head)
    return data === undefined ? text : `${text.slice(0, -1)},"data":${stringifyExactArray(data)}}`
  })
  return `${JSON.stringify(envelope).slice(0, -1)},"outputs":[${parts.join(',')}]}`
}
