import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { assertValidName, assertValidTag } from '../../src/registry/names.js'
import { parseRef } from '../../src/registry/refs.js'

function invalid(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (err: any) => err.code === 'invalid_input' && pattern.test(err.message))
}

describe('model names', () => {
  it('accepts DNS labels', () => {
    for (const name of ['a', 'iris', 'fraud-v2', '0x', 'a'.repeat(63)]) assertValidName(name)
  })
  it('refuses anything else, quoting the name and stating the rule', () => {
    invalid(() => assertValidName('Iris'), /"Iris".*lower-case/)
    invalid(() => assertValidName('my_model'), /"my_model"/)
    invalid(() => assertValidName('a.b'), /"a\.b"/)
    invalid(() => assertValidName('has space'), /"has space"/)
    invalid(() => assertValidName(''), /""/)
    invalid(() => assertValidName('-lead'), /"-lead"/)
    invalid(() => assertValidName('trail-'), /"trail-"/)
    invalid(() => assertValidName('a'.repeat(64)), /64 characters/)
  })
})

describe('tags', () => {
  it('accepts dates and words, refuses latest and junk', () => {
    assertValidTag('production')
    assertValidTag('2025-07-29')
    invalid(() => assertValidTag('latest'), /reserved/)
    invalid(() => assertValidTag('a b'), /"a b"/)
    invalid(() => assertValidTag(''), /""/)
  })
})

describe('references', () => {
  const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e'
  it('parses every SPEC form', () => {
    assert.deepEqual(parseRef('iris'), { workspace: null, name: 'iris', selector: { kind: 'latest' } })
    assert.deepEqual(parseRef('iris@latest'), { workspace: null, name: 'iris', selector: { kind: 'latest' } })
    assert.deepEqual(parseRef('iris@production'), { workspace: null, name: 'iris', selector: { kind: 'tag', tag: 'production' } })
    assert.deepEqual(parseRef(`iris:${uuid.toUpperCase()}`), { workspace: null, name: 'iris', selector: { kind: 'uuid', uuid } })
    assert.deepEqual(parseRef('iris#12'), { workspace: null, name: 'iris', selector: { kind: 'seq', seq: 12 } })
    assert.deepEqual(parseRef('team-a/iris#2'), { workspace: 'team-a', name: 'iris', selector: { kind: 'seq', seq: 2 } })
  })
  it('refuses malformed references', () => {
    invalid(() => parseRef('iris#0'), /version number/)
    invalid(() => parseRef('iris#x'), /version number/)
    invalid(() => parseRef('iris:not-a-uuid'), /UUID/)
    invalid(() => parseRef('iris@'), /tag must follow/)
    invalid(() => parseRef('Iris'), /"Iris"/)
    invalid(() => parseRef('Bad_WS/iris'), /workspace name "Bad_WS"/)
  })
})
