import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseExactJson, stringifyExactArray } from '../../src/data/exact-json.js'

describe('exact JSON', () => {
  it('reads integers beyond ±2^53 as bigints and keeps the rest as JSON.parse does', () => {
    const text = '{"a": 4611686018427387904, "b": [-9223372036854775808, 18446744073709551615, 1000000000000000, 12345678901234567.5, 1e400], "s": "12345678901234567890"}'
    assert.deepEqual(parseExactJson(text), {
      a: 4611686018427387904n,
      b: [-9223372036854775808n, 18446744073709551615n, 1000000000000000, 12345678901234568, Infinity],
      s: '12345678901234567890',
    })
  })

  it('reads the bare tokens NaN, Infinity and -Infinity as Python and rapidjson write them', () => {
    const got = parseExactJson('[NaN, Infinity, -Infinity, {"x": [NaN]}, "NaN"]') as unknown[]
    assert.ok(Number.isNaN(got[0]))
    assert.equal(got[1], Infinity)
    assert.equal(got[2], -Infinity)
    assert.ok(Number.isNaN((got[3] as { x: number[] }).x[0]))
    assert.equal(got[4], 'NaN')
  })

  it('agrees with JSON.parse on ordinary documents, escapes and __proto__ keys included', () => {
    assert.deepEqual(parseExactJson('[ [ ], { }, 12345678901234567890]'), [[], {}, 12345678901234567890n])
    const docs = ['{"__proto__": {"x": 1}, "k": "a\\"b\\\\c\\u00e9\\n"}', '[true,false,null,-0,0.5e-3,"\\ud83d\\ude00"]']
    for (const d of docs) {
      const long = d.replace(/\]$|\}$/, (end) => (end === ']' ? ', 90071992547409930]' : ', "big": 90071992547409930}'))
      const exact = parseExactJson(long) as Record<string, unknown>
      const plain = JSON.parse(long.replace('90071992547409930', '0'))
      if (typeof plain === 'object' && plain !== null) {
        if (Array.isArray(plain)) plain[plain.length - 1] = 90071992547409930n
        else plain.big = 90071992547409930n
      }
      assert.deepEqual(exact, plain, d)
      assert.equal(Object.getPrototypeOf(exact) === Object.prototype || Array.isArray(exact) || typeof exact !== 'object', true)
    }
  })

  it('refuses text that is not JSON with the position', () => {
    for (const [text, where] of [['[NaN', /position 4/], ['{"a" 12345678901234567}', /':' .* position 5/], ['[1, 12345678901234567,]', /position 22/], ['[nan]', /JSON/]] as const) {
      assert.throws(() => parseExactJson(text), (err: Error) => err instanceof SyntaxError && where.test(err.message), text)
    }
  })

  it('writes bigints as bare digits and -0 as -0.0, so every parser reads them back exactly', () => {
    const text = stringifyExactArray([9223372036854775807n, -0, 1.5, 'NaN', [1n, -0]])
    assert.equal(text, '[9223372036854775807,-0.0,1.5,"NaN",[1,-0.0]]')
    assert.deepEqual(parseExactJson(text), [9223372036854775807n, -0, 1.5, 'NaN', [1, -0]])
    assert.equal(stringifyExactArray([1, 2.5, 'x']), JSON.stringify([1, 2.5, 'x']))
  })
})
