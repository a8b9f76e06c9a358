/**
 * Unfinished versions on a shared PostgreSQL, where no home lock says who else is at work: two
 * replicas over one schema fail the versions of dead owners exactly once, and leave the versions
 * of live owners, and fresh ones on other hosts, alone.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { createLocalQuiver } from '../../src/api/create-local.js'
import type { LocalQuiverApi } from '../../src/api/local-api.js'
import { ownerOf } from '../../src/api/process-owner.js'
import type { ConversionOwner } from '../../src/store/sql-conversion-claims.js'
import { postgresSkipReason, TEST_DATABASE_URL, urlWithSchema } from '../helpers/postgres.js'
import { makeTemp, removeTemp, REPO } from '../helpers/cli.js'

const URL = TEST_DATABASE_URL
const SCHEMA = `quiver_recovery_${process.pid}_${Date.now().toString(36)}`
const IRIS_ONNX = join(REPO, 'test/fixtures/models/onnx-mlp-iris/model.onnx')

const skip = await postgresSkipReason()

describe('unfinished versions on a shared PostgreSQL', { skip: skip ?? false }, () => {
  const admin = new pg.Client({ connectionString: URL })
  const url = urlWithSchema(SCHEMA)
  let home: string
  before(async () => {
    home = await makeTemp('quiver-recovery-pg-')
    await admin.connect()
    await admin.query(`CREATE SCHEMA ${SCHEMA}`)
  })
  after(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`)
    await admin.end()
    await removeTemp(home)
  })

  async function unfinished(api: LocalQuiverApi, name: string, owner: ConversionOwner | null): Promise<void> {
    const blob = await api.artifacts.putFile(IRIS_ONNX)
    let v = await api.registry.createVersion({
      workspace: 'default', name, version: randomUUID(), file_name: 'model.onnx', sha256: blob.sha256, size_bytes: blob.size,
      framework: 'onnx', runtime: 'native', status: 'pending_conversion', input_schema: null, output_schema: null,
      arch: 'x86', accel: 'none', image_path: null, description: null, metadata: {}, additional_files: {}, config: { archive: false },
    })
    v = await api.registry.moveStatus(v, 'converting')
    if (owner) await api.claims!.claim(v.id, owner)
  }

  it('fails dead owners once across replicas, trusts live and fresh ones until their heartbeat goes quiet', async () => {
    const first = await createLocalQuiver({ home, databaseUrl: url })
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout)
    await unfinished(first, 'dead-local', { ...ownerOf(), pid: dead, procStart: '' })
    await unfinished(first, 'alive-local', ownerOf())
    await unfinished(first, 'other-host', { pid: 42, host: `${hostname()}-replica-2`, bootId: 'b', procStart: '9' })
    await unfinished(first, 'no-owner-yet', null)

    // Two replicas start at once.
    const failedAtOpen: string[] = []
    const onAbandoned = (f: { name: string }[]) => failedAtOpen.push(...f.map((x) => x.name))
    const [second, third] = await Promise.all([
      createLocalQuiver({ home, databaseUrl: url, onAbandoned }),
      createLocalQuiver({ home, databaseUrl: url, onAbandoned }),
    ])
    try {
      assert.deepEqual(failedAtOpen, ['dead-local'], 'failed once, by one replica')
      const status = async (name: string) => (await second.getVersion(`${name}#1`)).status
      assert.equal(await status('dead-local'), 'error')
      assert.equal(await status('alive-local'), 'converting')
      assert.equal(await status('other-host'), 'converting', 'its heartbeat is fresh')
      assert.equal(await status('no-owner-yet'), 'converting', 'another process may be about to claim it')
      // Once the other host's heartbeat and the unclaimed version have been quiet too long:
      const late = await Promise.all([second.failAbandonedVersions({ staleMs: -1 }), third.failAbandonedVersions({ staleMs: -1 })])
      assert.deepEqual(late.flat().map((f) => f.name).sort(), ['no-owner-yet', 'other-host'])
      assert.equal(await status('alive-local'), 'converting')
      assert.match((await second.getVersion('other-host#1')).error_message!, /pid 42 on host .*-replica-2/)
    } finally {
      await Promise.all([first.close(), second.close(), third.close()])
    }
  })
})
