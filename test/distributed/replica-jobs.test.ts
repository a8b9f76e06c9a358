/** A conversion job whose replica is killed mid-conversion is finished by another replica. */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { MODEL_FIXTURES } from '../helpers/fixtures.js'
import { postgresSkipReason } from '../helpers/postgres.js'
import { startCluster, type Cluster } from './cluster.js'

const skip = await postgresSkipReason('the replica job tests')

describe('conversion jobs across replicas', { skip }, () => {
  let cluster: Cluster
  before(async () => { cluster = await startCluster(3, { extraEnv: { QUIVER_JOB_LEASE_MS: '1500' } }) })
  after(async () => { await cluster?.close() })

  it('finishes on another replica when the one converting is killed', async () => {
    const form = new FormData()
    form.append('name', 'wine')
    form.append('framework', 'sklearn')
    form.append('no_wait', 'true')
    const facts = JSON.parse(await readFile(join(MODEL_FIXTURES, 'sklearn-logreg-iris/case.json'), 'utf8'))
    form.append('input_schema', JSON.stringify(facts.input_schema))
    form.append('output_schema', JSON.stringify(facts.output_schema))
    form.append('tag', 'prod')
    form.append('file', new Blob([await readFile(join(MODEL_FIXTURES, 'sklearn-logreg-iris/model.pkl'))]), 'model.pkl')
    const res = await fetch(`${cluster.replicas[0]!.url}/v1/models`, { method: 'POST', body: form })
    assert.equal(res.status, 201, await res.clone().text())
    assert.equal((await res.json()).status, 'pending_conversion')

    const jobs = `${cluster.schema}.jobs`
    let held: { id: string; worker: string } | undefined
    for (let i = 0; i < 400 && !held; i++) {
      const { rows } = await cluster.admin.query(`SELECT id, worker FROM ${jobs} WHERE kind = 'convert' AND state = 'running'`)
      held = rows[0]
      if (!held) await new Promise((r) => setTimeout(r, 25))
    }
    assert.ok(held, `a replica took the conversion job: ${JSON.stringify((await cluster.admin.query(`SELECT * FROM ${jobs}`)).rows)}`)
    const pid = Number(held.worker.split(':')[1])
    const victim = cluster.replicas.findIndex((r) => r?.child.pid === pid)
    assert.ok(victim >= 0, `worker ${held.worker} is one of the replicas`)
    await cluster.kill(victim)

    const survivor = cluster.replicas.find((r) => r !== null)!
    let version: any
    for (let i = 0; i < 1200; i++) {
      version = (await (await fetch(`${survivor.url}/v1/models/wine/versions`)).json())[0]
      if (version.status === 'ready' || version.status === 'error') break
      await new Promise((r) => setTimeout(r, 100))
    }
    const jobNow = (await cluster.admin.query(`SELECT * FROM ${jobs} WHERE id = $1`, [held.id])).rows[0]
    assert.equal(version.status, 'ready', `${JSON.stringify(version)}\njob: ${JSON.stringify(jobNow)}\nsurvivor stderr: ${survivor.stderr().slice(-2000)}`)
    assert.deepEqual(version.tags, ['prod'])
    // The version is ready a moment before its job is recorded as done.
    let job: any
    for (let i = 0; i < 200 && job?.state !== 'succeeded'; i++) {
      if (job) await new Promise((r) => setTimeout(r, 25))
      job = (await cluster.admin.query(`SELECT state, attempts, worker, error FROM ${jobs} WHERE id = $1`, [held.id])).rows[0]
    }
    assert.equal(job.state, 'succeeded')
    assert.equal(job.attempts, 2)
    assert.match(job.error, new RegExp(`worker ${held.worker} stopped renewing its lease`))
    const infer = await fetch(`${survivor.url}/v1/models/wine@prod/infer`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: await readFile(join(MODEL_FIXTURES, 'sklearn-logreg-iris/input.json')),
    })
    assert.equal(infer.status, 200, await infer.clone().text())
  })
})
