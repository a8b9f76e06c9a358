/**
 * V2 answers as JSON text with exact tensor data, written field by field (the hot path of every V2
 * answer; `JSON.stringify` of the envelope and each output head cost more than the data itself):
 * strings and parameters through `JSON.stringify`, shapes as integers, and each output's `data`
 * by `stringifyExactArray` (INT64 beyond ±2^53 as bare digits).
 */
import { stringifyExactArray } from '../../data/exact-json.js'
import type { InferenceResponse, ResponseOutput } from './types.js'

export function responseText(response: InferenceResponse): string {
  let text = `{"model_name":${JSON.stringify(response.model_name)}`
  if (response.model_version !== undefined) text += `,"model_version":${JSON.stringify(response.model_version)}`
  text += `,"id":${JSON.stringify(response.id)}`
  if (response.parameters !== undefined) text += `,"parameters":${JSON.stringify(response.parameters)}`
  text += ',"outputs":['
  for (let i = 0; i < response.outputs.length; i++) text += (i > 0 ? ',' : '') + outputText(response.outputs[i]!)
  return `${text}]}`
}

function outputText(output: ResponseOutput): string {
  let text = `{"name":${JSON.stringify(output.name)},"shape":[${output.shape.join(',')}],"datatype":"${output.datatype}"`
  if (output.parameters !== undefined) text += `,"parameters":${JSON.stringify(output.parameters)}`
  if (output.data !== undefined) text += `,"data":${stringifyExactArray(output.data)}`
  return `${text}}`
}
