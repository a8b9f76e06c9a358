import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as arrow from 'apache-arrow'
import { float64ToHalf, NUMERIC_CODECS, convertTimestampMs } from '../../src/data/scalar-codecs.js'
import { ValueError } from '../../src/data/input-error.js'

describe('scalar codecs', () => {
  it('float64ToHalf round-trips every finite half value and rounds midpoints to even', () => {
    for (let h = 0; h < 0x10000; h++) {
      const x = arrow.util.uint16ToFloat64(h)
      if (!Number.isNaN(x)) assert.equal(float64ToHalf(x), h, `half 0x${h.toString(16)} (${x})`)
    }
    assert.equal(float64ToHalf(2049), 0x6800) // 2049 is halfway between 2048 and 2050: even is 2048
    assert.equal(float64ToHalf(1e-8), 0) // underflows to +0, not to -Infinity
    assert.equal(float64ToHalf(65519), 0x7bff)
    assert.equal(arrow.util.uint16ToFloat64(float64ToHalf(0.1)), 0.0999755859375)
  })

  it('float16 refuses finite values that would round to infinity', () => {
    assert.throws(() => NUMERIC_CODECS.float16.convert(65520), ValueError)
    assert.equal(NUMERIC_CODECS.float16.convert('Infinity'), 0x7c00)
  })

  it('int64 keeps decimal strings exact and refuses unsafe JSON numbers', () => {
    assert.equal(NUMERIC_CODECS.int64.convert('-9223372036854775808'), -(2n ** 63n))
    assert.throws(() => NUMERIC_CODECS.int64.convert(2 ** 60), (e: unknown) => e instanceof ValueError && /beyond ±2\^53/.test(e.hint ?? ''))
    assert.throws(() => NUMERIC_CODECS.uint64.convert('18446744073709551616'), ValueError)
  })

  it('timestamps: offsets and fractional seconds', () => {
    assert.equal(convertTimestampMs('2024-01-01T00:00:00.123456Z'), 1704067200123n)
    assert.equal(convertTimestampMs('2024-01-01T05:30:00+0530'), 1704067200000n)
    assert.equal(convertTimestampMs('2024-01-01 00:00:00'), 1704067200000n)
    assert.throws(() => convertTimestampMs('2024-13-01'), ValueError)
  })
})
