/**
 * V2 inference as plain values. The model is looked up before the body is parsed (an unknown model
 * is 404 whatever the body holds); a name no model has may be a deployed pipeline, served as a
 * model of the pipeline's name.
 */
import { randomUUID } from 'node:crypto'
import type { Table } from 'apache-arrow'
import type { QuiverApi, ScopeOptions } from '../../api/quiver-api.js'
import { isQuiverError } from '../../errors.js'
import type { VersionRecord } from '../../records/version-record.js'
import type { Answer } from '../answer.js'
import { parseJson } from '../body.js'
import { BINARY_CONTENT_TYPE, binaryInputs, HEADER_LENGTH, splitBody } from './binary.js'
import { requestToTable, tableToOutputs } from './codec.js'
import { responseText } from './response-text.js'
import { parseInferenceRequest, type InferenceResponse } from './types.js'

export type V2Target = { kind: 'pipeline' } | { kind: 'model'; version: VersionRecord }

/** The model version a V2 path names or, for a bare name no model has, a deployed pipeline of that name. */
export async function v2Target(api: QuiverApi, name: string, version: string | undefined, scope: ScopeOptions, model: () => Promise<VersionRecord>): Promise<V2Target> {
  try {
    return { kind: 'model', version: await model() }
  } catch (err) {
    if (version === undefined && isQuiverError(err) && err.code === 'not_found' && (await api.pipelines.isDeployed(name, scope))) {
      return { kind: 'pipeline' }
    }
    throw err
  }
}

export interface V2InferRequest {
  name: string
  target: V2Target
  scope: ScopeOptions
  body: Uint8Array
  /** The Inference-Header-Content-Length header, when the binary extension is used. */
  headerLength: string | undefined
}

export async function v2InferAnswer(api: QuiverApi, req: V2InferRequest): Promise<Answer> {
  const { json, tail } = splitBody(req.body, req.headerLength)
  const parsed = parseInferenceRequest(parseJson(json, 'the inference request'))
  let result: Table
  let answeredBy: { name: string; version: string }
  let serving: VersionRecord['config']['serving']
  if (req.target.kind === 'pipeline') {
    const table = requestToTable(parsed, await api.pipelines.inputSchema(req.name, req.scope), binaryInputs(parsed, tail))
    result = await api.pipelines.infer(req.name, { kind: 'table', table }, req.scope)
    answeredBy = { name: req.name, version: '' }
  } else {
    const v = req.target.version
    serving = v.config.serving
    const table = requestToTable(parsed, v.input_schema ?? [], binaryInputs(parsed, tail), serving)
    result = await api.inferVersion(v, { kind: 'table', table })
    answeredBy = { name: v.name, version: String(v.seq) }
  }
  const { outputs, binary } = tableToOutputs(result, parsed, serving)
  const response: InferenceResponse = { model_name: answeredBy.name, model_version: answeredBy.version, id: parsed.id ?? randomUUID(), outputs }
  const text = responseText(response)
  if (binary.length === 0) return { status: 200, headers: { 'content-type': 'application/json' }, body: text }
  const head = Buffer.from(text, 'utf8')
  return {
    status: 200,
    headers: { 'content-type': BINARY_CONTENT_TYPE, [HEADER_LENGTH]: String(head.byteLength) },
    body: Buffer.concat([head, ...binary]),
  }
}
