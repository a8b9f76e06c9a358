import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { RefCache } from '../../src/pipelines/ref-cache.js'
import type { VersionRecord } from '../../src/records/version-record.js'

const version = (id: number, name = 'm') => ({ id, name, workspace: 'default' }) as VersionRecord

describe('RefCache', () => {
  it('keeps a moving reference past its ttl as not fresh, and a pinned one fresh', () => {
    const cache = new RefCache(0)
    cache.set('ws\u0000m', version(1), false)
    cache.set('ws\u0000m#1', version(1), true)
    assert.deepEqual(cache.lookup('ws\u0000m'), { version: version(1), fresh: false })
    assert.equal(cache.lookup('ws\u0000m#1')?.fresh, true)
    assert.equal(cache.lookup('ws\u0000other'), undefined)
  })

  it('does not store a resolution begun before a drop', () => {
    const cache = new RefCache()
    const before = cache.generation
    cache.forgetModel('default', 'm')
    cache.set('ws\u0000m', version(1), false, before)
    assert.equal(cache.lookup('ws\u0000m'), undefined)
    cache.set('ws\u0000m', version(2), false, cache.generation)
    assert.equal(cache.lookup('ws\u0000m')?.version.id, 2)
  })

  it('drops every entry of a model, a version, or all moving ones', () => {
    const cache = new RefCache()
    cache.set('a', version(1, 'm'), false)
    cache.set('b', version(2, 'n'), true)
    cache.set('c', version(3, 'n'), false)
    cache.forgetModel('default', 'm')
    assert.equal(cache.lookup('a'), undefined)
    cache.forgetVersion(2)
    assert.equal(cache.lookup('b'), undefined)
    cache.forgetMoving()
    assert.equal(cache.lookup('c'), undefined)
  })
})
