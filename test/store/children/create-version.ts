// One uploader: opens (and migrates) the store in the given PostgreSQL schema, says `ready`,
// waits for `go` on stdin, creates a version of the given model and prints it as JSON.
import { randomUUID } from 'node:crypto'
import { createInterface } from 'node:readline'
import { PostgresDriver } from '../../../src/store/postgres/postgres-driver.js'
import { SqlMetadataStore } from '../../../src/store/sql-store.js'
import { newVersion } from '../version-fixtures.js'

const [url, searchPath, name] = process.argv.slice(2) as [string, string, string]
const store = await SqlMetadataStore.open(await PostgresDriver.open({ url, searchPath, max: 2 }))
process.stdout.write('ready\n')
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== 'go') continue
  const v = await store.createVersion(newVersion({ name, version: randomUUID() }))
  process.stdout.write(`${JSON.stringify({ id: v.id, seq: v.seq })}\n`)
  break
}
await store.close()
process.exit(0)
