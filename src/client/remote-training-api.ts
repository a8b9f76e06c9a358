/** Training over HTTP: the trainer and a training-set file travel with the request to `POST /v1/models/{name}/train`. */
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import type { ScopeOptions } from '../api/quiver-api.js'
import type { TrainingApi, TrainRequest } from '../api/training-api.js'
import type { VersionRecord } from '../records/version-record.js'
import type { JsonRequest, ScopeQuery } from './remote-feature-api.js'

const enc = encodeURIComponent

export class RemoteTrainingApi implements TrainingApi {
  readonly #json: JsonRequest
  readonly #query: ScopeQuery

  constructor(json: JsonRequest, query: ScopeQuery) {
    this.#json = json
    this.#query = query
  }

  async train(req: TrainRequest, opts: ScopeOptions = {}): Promise<VersionRecord> {
    const body = await trainBody(req)
    req.onProgress?.(`training ${req.name} on the server`)
    return this.#json('POST', `/v1/models/${enc(req.name)}/train${this.#query(opts)}`, `train ${req.name}`, {
      headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: req.signal,
    })
  }
}

/** The JSON body of `POST /v1/models/{name}/train`: the trainer and a training-set file travel base64. */
export async function trainBody(req: TrainRequest): Promise<Record<string, unknown>> {
  const file = async (path: string) => ({ file_name: basename(path), data_base64: (await readFile(path)).toString('base64') })
  return {
    trainer: await file(req.trainer),
    training_set: req.trainingSet ? await file(req.trainingSet) : undefined,
    spine: req.spine, features: req.features, label: req.label, window: req.window, date: req.date, config: req.config, tags: req.tags,
  }
}
