/**
 * Materialization, evaluation and training as jobs: queued through `jobs`, run by the holder of an
 * embedded home with the same results as the synchronous calls, answered 202 over HTTP with
 * `?wait=false`; bad input refused before anything is queued, or failing the job at once.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createApp } from '../../src/server/app.js'
import { startServer } from '../../src/server/http-server.js'
import { RemoteQuiverApi } from '../../src/client/remote-api.js'
import { SILENT_LOGGER } from '../../src/server/logger.js'
import type { VersionRecord } from '../../src/records/version-record.js'
import { citiesDef, featureWorld, type FeatureWorld } from '../features/feature-fixtures.js'
import { PYTHON, sklearnSkipReason } from '../helpers/sklearn.js'
import { IRIS_CSV, LOGREG } from '../helpers/iris-training.js'

const skip = sklearnSkipReason('training and evaluation jobs')

describe('materialize, evaluate and train as jobs (embedded)', { skip }, () => {
  let w: FeatureWorld
  before(async () => {
    w = await featureWorld({ models: [] })
    execFileSync(PYTHON, ['-c', IRIS_CSV, join(w.dir, 'iris.csv')])
    await writeFile(join(w.dir, 'logreg.py'), LOGREG)
    await writeFile(join(w.dir, 'raises.py'), 'def train(X, y, config):\n    raise ValueError("the learning rate must be positive")\n')
  })
  after(() => w?.close())

  it('materializes a feature set as a job', async () => {
    await w.api.features.apply([citiesDef(w.dir)])
    const job = await w.api.jobs.materialize('cities')
    assert.equal(job.kind, 'materialize')
    assert.deepEqual(job.payload, { set: 'cities', start: null, end: null })
    const done = await w.api.jobs.wait(job.id, { timeoutMs: 60_000 })
    assert.equal(done.state, 'succeeded', done.error ?? '')
    assert.equal((done.result as { entities: number }).entities, 2)
    const fetched = await w.api.features.fetch('cities', { city_id: 8 })
    assert.equal(fetched.features.risk_base, 4)
    await assert.rejects(w.api.jobs.materialize('no-such-set'), { code: 'not_found' })
  })

  it('trains a version as a job, then evaluates it as a job with the synchronous result', async () => {
    const job = await w.api.jobs.train({ name: 'iris', trainer: join(w.dir, 'logreg.py'), trainingSet: join(w.dir, 'iris.csv'), label: 'species', date: '2026-01-01' })
    assert.equal(job.kind, 'train')
    assert.equal(job.payload.model, 'iris')
    const trained = await w.api.jobs.wait(job.id, { timeoutMs: 120_000 })
    assert.equal(trained.state, 'succeeded', trained.error ?? '')
    const v = trained.result as VersionRecord
    assert.equal(v.name, 'iris')
    assert.equal(v.status, 'ready')
    assert.equal((v.metadata.training as { rows: number }).rows, 150)
    // The trainer and training set were stored for the job and are gone once it is done.
    for (const sha of job.payload.blobs as string[]) assert.equal(await w.api.artifacts.has(sha), false, sha)

    await w.api.evaluation.createSuite({ name: 'iris-suite', source: { path: join(w.dir, 'iris.csv') }, label: 'species', features: ['sl', 'sw', 'pl', 'pw'] })
    const queued = await w.api.jobs.evaluate('iris#1', { suite: 'iris-suite' })
    const evaluated = await w.api.jobs.wait(queued.id, { timeoutMs: 60_000 })
    assert.equal(evaluated.state, 'succeeded', evaluated.error ?? '')
    const direct = await w.api.evaluation.evaluate('iris#1', { suite: 'iris-suite' })
    const got = evaluated.result as typeof direct
    assert.deepEqual([got.model, got.suite, got.task, got.cases], [direct.model, direct.suite, direct.task, direct.cases])
  })

  it('refuses a missing trainer or suite before queueing; a trainer that raises fails its job at once', async () => {
    const before = (await w.api.jobs.list()).length
    await assert.rejects(w.api.jobs.train({ name: 'iris', trainer: join(w.dir, 'nope.py'), trainingSet: join(w.dir, 'iris.csv') }), { code: 'invalid_input', message: /trainer .*nope\.py does not exist/ })
    await assert.rejects(w.api.jobs.evaluate('iris#1', { suite: 'no-such-suite' }), { code: 'not_found' })
    assert.equal((await w.api.jobs.list()).length, before, 'nothing was queued')
    const job = await w.api.jobs.train({ name: 'iris', trainer: join(w.dir, 'raises.py'), trainingSet: join(w.dir, 'iris.csv'), label: 'species' })
    const failed = await w.api.jobs.wait(job.id, { timeoutMs: 120_000 })
    assert.equal(failed.state, 'failed')
    assert.equal(failed.attempts, 1, 'bad input is not retried')
    assert.match(failed.error!, /the learning rate must be positive/)
  })

  it('answers 202 with the queued job over HTTP with ?wait=false, and follows it through the SDK', async () => {
    const { app, fastLane } = createApp({ api: w.api, logger: SILENT_LOGGER })
    const server = await startServer(app, { host: '127.0.0.1', port: 0, fastLane })
    try {
      const res = await fetch(`${server.url}/v1/models/iris%231/evaluate?wait=false`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"suite":"iris-suite"}' })
      assert.equal(res.status, 202)
      const job = await res.json()
      assert.equal(job.kind, 'evaluate')
      assert.equal(job.state === 'queued' || job.state === 'running' || job.state === 'succeeded', true, job.state)
      const bad = await fetch(`${server.url}/v1/features/cities/materialize?wait=later`, { method: 'POST' })
      assert.equal(bad.status, 400)
      assert.match((await bad.json()).error.message, /wait must be true or false, got 'later'/)

      const remote = new RemoteQuiverApi({ url: server.url })
      assert.equal((await remote.jobs.wait(job.id, { timeoutMs: 60_000 })).state, 'succeeded')
      const m = await remote.jobs.materialize('cities')
      assert.equal((await remote.jobs.wait(m.id, { timeoutMs: 60_000 })).state, 'succeeded')
      const t = await remote.jobs.train({ name: 'iris-remote', trainer: join(w.dir, 'logreg.py'), trainingSet: join(w.dir, 'iris.csv'), label: 'species' })
      const trained = await remote.jobs.wait(t.id, { timeoutMs: 120_000 })
      assert.equal(trained.state, 'succeeded', trained.error ?? '')
      assert.equal((await remote.getVersion('iris-remote')).status, 'ready')
    } finally {
      await server.close()
    }
  })
})
