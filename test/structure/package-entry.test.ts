import assert from 'node:assert/strict'
import { it } from 'node:test'

it("exports the SDK and the in-process core from the package entry", async () => {
  const quiver = await import('quiver')
  assert.equal(typeof quiver.Quiver, 'function')
  assert.equal(typeof quiver.createLocalQuiver, 'function')
  assert.equal(typeof quiver.parseSchema, 'function')
  const client = await import('quiver/client')
  assert.equal(client.Quiver, quiver.Quiver)
})
