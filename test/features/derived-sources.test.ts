/**
 * Models from other sources as derived features: a `remote` model whose endpoint is a second, real
 * `quiver serve` (the risk ONNX model served there over the Open Inference Protocol), and a Hugging
 * Face text-classification model built at test time with Debian's torch. Online fetch answers
 * what each model answers: the risk arithmetic for the remote one, torch's softmax for the other.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createLocalQuiver } from '../../src/api/create-local.js'
import { endpointSource } from '../../src/api/remote-endpoint.js'
import type { FeatureSetDefinition } from '../../src/features/definition.js'
import { buildOnnxModel } from '../fixtures/onnx/build-onnx.js'
import { makeTemp, removeTemp } from '../helpers/cli.js'
import { serve, stopServed, type Served } from '../helpers/serve.js'
import { buildTinyBert } from '../runtimes/hf-helpers.js'
import { featureWorld, MODELS, riskOf, writeParquet, type FeatureWorld } from './feature-fixtures.js'

/** Reviews in the tiny tokenizer's words, and the ids they tokenize to ([CLS] … [SEP]). */
const REVIEWS = ['a good movie', 'the cat sat on the mat']
const REVIEW_IDS = [[2, 11, 12, 14, 3], [2, 5, 6, 8, 9, 5, 10, 3]]
const USERS_SQL = `SELECT * FROM (VALUES
  (1::BIGINT, TIMESTAMP '2024-01-01 00:00:00', 31::BIGINT, 1200.0::DOUBLE, '${REVIEWS[0]}'),
  (2::BIGINT, TIMESTAMP '2024-01-01 00:00:00', 40::BIGINT, 5000.0::DOUBLE, '${REVIEWS[1]}')
) AS t (user_id, ts, age, income, review)`

const definition = (dir: string): FeatureSetDefinition => ({
  name: 'reviewers', entity: ['user_id'], event_time: 'ts', source: { path: join(dir, 'reviewers.parquet') },
  features: [
    { name: 'age', type: 'int64' },
    { name: 'income', type: 'float64' },
    { name: 'review', type: 'string' },
    { name: 'peer_risk', type: 'float32', inference: { model: 'peer-risk', inputs: ['age', 10, 'income'] } },
    { name: 'mood', type: { list: 'string', size: null }, inference: { model: 'sentiment', inputs: { inputs: 'review' }, output: 'label' } },
    { name: 'mood_score', type: { list: 'float64', size: null }, inference: { model: 'sentiment', inputs: { inputs: 'review' }, output: 'score' } },
  ],
})

describe('remote and Hugging Face models as derived features', () => {
  let peerHome: string
  let peer: Served | undefined
  let w: FeatureWorld | undefined
  before(async () => {
    peerHome = await makeTemp('quiver-peer-')
    const peerApi = await createLocalQuiver({ home: peerHome, databaseUrl: '' })
    await writeFile(join(peerHome, 'risk.onnx'), buildOnnxModel(MODELS.risk!))
    await peerApi.uploadModel({ name: 'risk', source: { path: join(peerHome, 'risk.onnx') }, framework: 'onnx' })
    await peerApi.close()
    peer = await serve(peerHome, [])
  })
  after(async () => {
    await stopServed(peer)
    await w?.close()
    await removeTemp(peerHome)
  })

  it('fetches online what the peer\'s model and the Hugging Face model answer', async (t) => {
    const built = await buildTinyBert(t, 'text-classification', REVIEW_IDS, 'features-sentiment')
    if (!built) return
    const logits = built.reference as number[][]
    w = await featureWorld({ models: [] })
    const api = w.api
    const remote = await api.uploadModel({ name: 'peer-risk', framework: 'remote', source: endpointSource({ url: `${peer!.url}/v2/models/risk`, protocol: 'v2', retries: 1, backoff_ms: 50 }) })
    assert.equal(remote.status, 'ready', remote.error_message ?? '')
    const hf = await api.uploadModel({ name: 'sentiment', source: { path: join(built.dir, 'model.zip') }, framework: 'hugging-face-text-classification' })
    assert.equal(hf.status, 'ready', hf.error_message ?? '')
    await writeParquet(join(w.dir, 'reviewers.parquet'), USERS_SQL)
    await api.features.apply([definition(w.dir)])
    assert.equal((await api.features.materialize('reviewers')).entities, 2)

    for (const [i, [age, income]] of [[31, 1200], [40, 5000]].entries()) {
      const r = await api.features.fetch('reviewers', { user_id: i + 1 })
      assert.deepEqual(r.missing, [])
      assert.equal(r.features.peer_risk, riskOf(age!, 10, income!), `peer_risk of user ${i + 1}`)
      const l = logits[i]!
      const p = l.map((x) => Math.exp(x) / l.reduce((a, y) => a + Math.exp(y), 0))
      const best = p[1]! > p[0]! ? 1 : 0
      assert.deepEqual(r.features.mood, [['NEGATIVE', 'POSITIVE'][best]], `mood of user ${i + 1}`)
      const [score] = r.features.mood_score as number[]
      assert.ok(Math.abs(score! - p[best]!) < 1e-5, `mood_score of user ${i + 1}: ${score} vs torch ${p[best]}`)
      assert.equal(r.models.peer_risk, `peer-risk:${remote.version}`)
      assert.equal(r.models.mood, `sentiment:${hf.version}`)
    }

    // The peer gone: the fetch fails naming the endpoint after its retry budget, never a made-up value.
    await stopServed(peer)
    await assert.rejects(api.features.fetch('reviewers', { user_id: 1 }, { features: ['peer_risk'] }), (err: Error) => {
      assert.match(err.message, new RegExp(`${peer!.url.replaceAll('.', '\\.')}/v2/models/risk`))
      return true
    })
    const still = await api.features.fetch('reviewers', { user_id: 1 }, { features: ['mood'] })
    assert.equal((still.features.mood as string[]).length, 1)
  })
})
