import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as arrow from 'apache-arrow'
import { tableToRecordsJson } from '../../src/data/table-output.js'
import { InferenceLog } from '../../src/pipelines/logs/inference-log.js'
import { InferenceLogs } from '../../src/pipelines/logs/inference-logs.js'
import { logSettings, parseDuration, parseSize } from '../../src/pipelines/logs/log-settings.js'
import { Validation } from '../../src/pipelines/validations/validation.js'
import { Child } from '../store/child-process.js'
import { LOG_SCHEMAS, sampleResult } from './log-helpers.js'

// Recent, so the default 30-day retention keeps it.
const T0 = Math.floor(Date.now() / 1000) * 1000 - 60_000
const META = { pipelineVersion: 'p-1', steps: ['scorer#3', 'ranker#1'], latencyMs: 2.5 }
const dirs: string[] = []
async function freshDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'quiver-logs-'))
  dirs.push(d)
  return d
}
after(async () => { await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))) })

const xs = (t: arrow.Table) => [...(t.getChild('in.x') ?? [])].map(Number)

describe('inference log', () => {
  it('logs every row with its inputs, outputs, anomalies, step versions and latency', async () => {
    const log = await InferenceLog.open(await freshDir(), logSettings())
    log.append(sampleResult(3, new Date(T0), 1), META)
    log.append(sampleResult(1, new Date(T0 + 5), 2), { ...META, latencyMs: 7 })
    const t = await log.query({ limit: 10 })
    assert.deepEqual(t.schema.fields.map((f) => f.name), [
      'time', 'in.x', 'in.tag', 'out.score', 'out.probs', 'anomaly.count', 'anomaly.high',
      'metadata.pipeline_version', 'metadata.steps', 'metadata.latency_ms',
    ])
    const records = tableToRecordsJson(t)
    assert.equal(records.length, 4)
    assert.deepEqual(records[0], {
      'time': new Date(T0).toISOString(), 'in.x': 1000, 'in.tag': null, 'out.score': Math.fround(0.1), 'out.probs': [Math.fround(0.1), Math.fround(0.9)],
      'anomaly.count': 0, 'anomaly.high': false, 'metadata.pipeline_version': 'p-1', 'metadata.steps': ['scorer#3', 'ranker#1'], 'metadata.latency_ms': 2.5,
    })
    assert.deepEqual(records.map((r) => [r['in.x'], r['in.tag'], r['anomaly.high'], r['metadata.latency_ms']]), [
      [1000, null, false, 2.5], [1001, 't2', false, 2.5], [1002, 't3', false, 2.5], [2000, null, false, 7],
    ])
    await log.close()
  })

  it('answers a time range and keeps the newest rows of it under a limit, oldest first', async () => {
    const log = await InferenceLog.open(await freshDir(), logSettings())
    for (let k = 0; k < 10; k++) {
      log.append(sampleResult(2, new Date(T0 + k * 1000), k), META)
      if (k % 3 === 2) await log.flush() // several segments
    }
    const since = new Date(T0 + 2000)
    const until = new Date(T0 + 6000)
    assert.deepEqual(xs(await log.query({ since, until, limit: 1000 })), [2000, 2001, 3000, 3001, 4000, 4001, 5000, 5001, 6000, 6001])
    assert.deepEqual(xs(await log.query({ since, until, limit: 3 })), [5001, 6000, 6001])
    assert.deepEqual(xs(await log.query({ limit: 1 })), [9001])
    assert.deepEqual(xs(await log.query({ since: new Date(T0 + 9500) })), [])
    assert.equal((await log.query({ limit: 0 })).numRows, 0)
    await assert.rejects(log.query({ since: until, until: since }), /since .* is after until/)
    await assert.rejects(log.query({ limit: -1 }), /limit must be a whole number/)
    await log.close()
  })

  it('survives a restart, and reads across pipeline versions whose columns differ', async () => {
    const dir = await freshDir()
    const first = await InferenceLog.open(dir, logSettings())
    first.append(sampleResult(2, new Date(T0), 1), META)
    await first.close()
    const second = await InferenceLog.open(dir, logSettings())
    const low = Validation.compile({ name: 'low', expression: 'out.score < 0.2' }, LOG_SCHEMAS)
    second.append(sampleResult(2, new Date(T0 + 1), 2, [low]), { ...META, pipelineVersion: 'p-2' })
    const t = await second.query()
    assert.deepEqual(xs(t), [1000, 1001, 2000, 2001])
    const r = tableToRecordsJson(t)
    assert.deepEqual(r.map((x) => [x['anomaly.high'], x['anomaly.low'], x['metadata.pipeline_version']]), [
      [false, null, 'p-1'], [false, null, 'p-1'], [null, false, 'p-2'], [null, false, 'p-2'],
    ])
    const ipc = arrow.tableFromIPC(arrow.tableToIPC(t, 'stream'))
    assert.equal(ipc.numRows, 4)
    await second.close()
  })

  it('flushes on its own, off the caller, after the flush interval', async () => {
    const dir = await freshDir()
    const log = await InferenceLog.open(dir, logSettings({ flushIntervalMs: 20 }))
    log.append(sampleResult(5, new Date(T0), 1), META)
    assert.equal((await readdir(dir)).length, 0, 'append does not write')
    for (let i = 0; i < 100 && (await log.stats()).segments === 0; i++) await new Promise((r) => setTimeout(r, 20))
    assert.equal((await log.stats()).segments, 1)
    assert.equal((await log.stats()).bufferedRows, 0)
    await log.close()
  })

  it('drops and counts rows past the buffer bound instead of growing without limit', async () => {
    const log = await InferenceLog.open(await freshDir(), logSettings({ maxBufferedRows: 10, flushIntervalMs: 60_000, flushRows: 1000 }))
    log.append(sampleResult(8, new Date(T0), 1), META)
    log.append(sampleResult(8, new Date(T0), 2), META)
    assert.equal((await log.stats()).droppedRows, 8)
    assert.equal((await log.query()).numRows, 8)
    await log.close()
  })

  it('removes segments past the age limit and the oldest past the size limit', async () => {
    const dir = await freshDir()
    const now = Date.now()
    const log = await InferenceLog.open(dir, logSettings({ maxAgeMs: 3_600_000 }))
    log.append(sampleResult(4, new Date(now - 7_200_000), 1), META)
    await log.flush()
    assert.equal((await log.stats()).segments, 1)
    await log.enforceRetention()
    assert.equal((await log.stats()).segments, 0, 'a segment older than the age limit is removed')
    log.append(sampleResult(4, new Date(now), 2), META)
    await log.flush()
    const one = (await log.stats()).bytes
    await log.close()

    const sized = await InferenceLog.open(dir, logSettings({ maxBytes: Math.floor(one * 2.5) }))
    for (let k = 3; k < 7; k++) {
      sized.append(sampleResult(4, new Date(now + k), k), META)
      await sized.flush()
    }
    const stats = await sized.stats()
    assert.equal(stats.segments, 2)
    assert.ok(stats.bytes <= one * 2.5)
    assert.deepEqual(xs(await sized.query()), [5000, 5001, 5002, 5003, 6000, 6001, 6002, 6003])
    await sized.close()
  })

  it('never leaves a half-written segment: a process killed while writing loses only its buffer', async () => {
    const dir = await freshDir()
    for (let round = 0; round < 2; round++) {
      const child = new Child('../pipelines/children/log-writer.ts', [dir])
      assert.equal(await child.line(), 'flushed')
      await new Promise((r) => setTimeout(r, 30 + round * 40))
      child.proc.kill('SIGKILL')
      await child.exited
    }
    await writeFile(join(dir, '0000000000001-0000000000002-ab-0.arrow.tmp'), 'half a segment')
    const log = await InferenceLog.open(dir, logSettings())
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), [], 'leftovers of interrupted writes are removed')
    const t = await log.query({ limit: Number.MAX_SAFE_INTEGER })
    assert.ok(t.numRows >= 2 * 4000, `rows ${t.numRows}`)
    assert.equal(t.numRows % 1000, 0, 'every logged result is whole')
    const x = t.getChild('in.x')!
    for (let i = 0; i < t.numRows; i += 999) assert.equal(Number(x.get(i)) % 1000, i % 1000)
    await log.close()
  })

  it('keeps one log per workspace and pipeline under the installation directory', async () => {
    const root = await freshDir()
    const logs = new InferenceLogs(root)
    ;(await logs.get('default', 'fraud')).append(sampleResult(1, new Date(T0), 1), META)
    ;(await logs.get('default', 'churn')).append(sampleResult(2, new Date(T0), 2), META)
    assert.equal(await logs.get('default', 'fraud'), await logs.get('default', 'fraud'))
    await logs.close()
    assert.deepEqual((await readdir(join(root, 'default'))).sort(), ['churn', 'fraud'])
    const reopened = new InferenceLogs(root)
    assert.equal((await (await reopened.get('default', 'churn')).query()).numRows, 2)
    await reopened.close()
  })

  it('reads retention settings from durations and sizes', () => {
    assert.equal(parseDuration('30d', 'x'), 30 * 86_400_000)
    assert.equal(parseDuration('1.5h', 'x'), 5_400_000)
    assert.equal(parseDuration('250', 'x'), 250)
    assert.equal(parseSize('1GiB', 'x'), 1024 ** 3)
    assert.equal(parseSize('500MB', 'x'), 500e6)
    assert.throws(() => parseDuration('soon', 'QUIVER_LOG_MAX_AGE'), /QUIVER_LOG_MAX_AGE must be a duration/)
    assert.throws(() => parseSize('-1', 'QUIVER_LOG_MAX_BYTES'), /QUIVER_LOG_MAX_BYTES must be a size/)
    assert.equal(logSettings({}, { QUIVER_LOG_MAX_AGE: '7d', QUIVER_LOG_MAX_BYTES: '10MiB' }).maxAgeMs, 7 * 86_400_000)
  })
})
