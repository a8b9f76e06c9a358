/**
 * `quiver worker` processes on one PostgreSQL and one S3 store: a training job whose worker is
 * killed mid-run is finished by another once the lease runs out; a worker stopped with SIGTERM
 * hands its running job back at once, without counting the attempt.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess, execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createLocalQuiver } from '../../src/api/create-local.js'
import type { LocalQuiverApi } from '../../src/api/local-api.js'
import type { VersionRecord } from '../../src/records/version-record.js'
import { BIN, REPO } from '../helpers/cli.js'
import { postgresSkipReason } from '../helpers/postgres.js'
import { PYTHON, sklearnSkipReason } from '../helpers/sklearn.js'
import { IRIS_CSV } from '../helpers/iris-training.js'
import { startCluster, type Cluster } from './cluster.js'

const skip = (await postgresSkipReason('the worker job tests')) ?? sklearnSkipReason('training jobs on workers')

/** Sleeps first, so that the job is surely running when its worker is stopped. */
const SLOW_TRAINER = `import time\nfrom sklearn.linear_model import LogisticRegression\n\ndef train(X, y, config):\n    time.sleep(float(config.get("sleep", "0")))\n    return LogisticRegression(max_iter=500).fit(X, y)\n`

interface Worker {
  child: ChildProcess
  stderr: () => string
  exited: Promise<number | null>
}

describe('training jobs on quiver worker processes', { skip }, () => {
  let cluster: Cluster
  let dir: string
  let api: LocalQuiverApi
  const workers: Worker[] = []

  async function startWorker(): Promise<Worker> {
    const home = await mkdtemp(join(dir, 'worker-'))
    const child = spawn(process.execPath, [BIN, '--home', home, 'worker', '--drain-seconds', '0'], { cwd: REPO, env: { ...process.env, ...cluster.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let err = ''
    child.stderr!.on('data', (d) => (err += d))
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve())
      void exited.then((code) => reject(new Error(`quiver worker exited with ${code}: ${err}`)))
    })
    const w = { child, stderr: () => err, exited }
    workers.push(w)
    return w
  }

  /** The worker process holding a running job. */
  async function holder(id: number): Promise<Worker> {
    for (let i = 0; i < 600; i++) {
      const job = await api.jobs.get(id)
      if (job.state === 'running' && job.worker) {
        const pid = Number(job.worker.split(':')[1])
        const w = workers.find((x) => x.child.pid === pid)
        assert.ok(w, `worker ${job.worker} is one of ours`)
        return w
      }
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`job ${id} was never taken: ${JSON.stringify(await api.jobs.get(id))}`)
  }

  before(async () => {
    cluster = await startCluster(0, { extraEnv: { QUIVER_JOB_LEASE_MS: '1500' } })
    dir = await mkdtemp(join(tmpdir(), 'quiver-worker-jobs-'))
    execFileSync(PYTHON, ['-c', IRIS_CSV, join(dir, 'iris.csv')])
    await writeFile(join(dir, 'slow.py'), SLOW_TRAINER)
    await startWorker()
    await startWorker()
    for (const k of ['QUIVER_ARTIFACTS', 'QUIVER_S3_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) process.env[k] = cluster.env[k]
    api = await createLocalQuiver({ home: join(dir, 'client'), databaseUrl: cluster.env.QUIVER_DATABASE_URL })
  })
  after(async () => {
    await api?.close()
    for (const w of workers) w.child.kill('SIGKILL')
    await Promise.all(workers.map((w) => w.exited))
    await cluster?.close()
    await rm(dir, { recursive: true, force: true })
  })

  const train = (name: string) => api.jobs.train({ name, trainer: join(dir, 'slow.py'), trainingSet: join(dir, 'iris.csv'), label: 'species', config: { sleep: '3' } })

  it('finishes on another worker when the one training is killed', async () => {
    const job = await train('killed')
    const victim = await holder(job.id)
    victim.child.kill('SIGKILL')
    await victim.exited
    const done = await api.jobs.wait(job.id, { timeoutMs: 180_000 })
    assert.equal(done.state, 'succeeded', `${JSON.stringify(done)}\n${workers.map((w) => w.stderr().slice(-1500)).join('\n---\n')}`)
    assert.equal(done.attempts, 2)
    assert.match(done.error!, /stopped renewing its lease/)
    assert.equal((done.result as VersionRecord).status, 'ready')
    assert.equal((await api.getVersion('killed')).status, 'ready')
  })

  it('hands the running job back at once when its worker is stopped with SIGTERM', async () => {
    await startWorker()
    const job = await train('drained')
    const stopping = await holder(job.id)
    stopping.child.kill('SIGTERM')
    assert.equal(await stopping.exited, 0, stopping.stderr())
    assert.match(stopping.stderr(), new RegExp(`"msg":"job ended".*"job":${job.id}.*"state":"released"`))
    const done = await api.jobs.wait(job.id, { timeoutMs: 180_000 })
    assert.equal(done.state, 'succeeded', JSON.stringify(done))
    assert.equal(done.attempts, 1, 'the interrupted attempt is not counted')
    assert.equal((await api.getVersion('drained')).status, 'ready')
  })
})
