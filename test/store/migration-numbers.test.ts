/** Each migration file has its own number: two files of one number make every fresh home fail to open. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { loadMigrations } from '../../src/store/migrations/migrate.js'

it('numbers every migration once', async () => {
  const seen = new Map<number, string>()
  for (const m of await loadMigrations()) {
    assert.ok(!seen.has(m.version), `migrations ${seen.get(m.version)} and ${m.name} share number ${m.version}; renumber the newer one`)
    seen.set(m.version, m.name)
  }
})
