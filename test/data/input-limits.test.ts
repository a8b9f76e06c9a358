import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_INPUT_LIMITS, inputLimits, limitExceeded } from '../../src/data/input-limits.js'

test('defaults apply without environment overrides', () => {
  assert.deepEqual(inputLimits({}), { ...DEFAULT_INPUT_LIMITS })
})

test('each limit is overridden by its environment variable', () => {
  const limits = inputLimits({
    QUIVER_MAX_INPUT_ROWS: '5', QUIVER_MAX_DECODED_BYTES: '1024', QUIVER_MAX_JSON_DEPTH: '8', QUIVER_MAX_FIELD_BYTES: ' 77 ',
  })
  assert.deepEqual(limits, { maxRows: 5, maxDecodedBytes: 1024, maxJsonDepth: 8, maxFieldBytes: 77 })
})

test('a malformed override is refused naming the variable', () => {
  assert.throws(() => inputLimits({ QUIVER_MAX_INPUT_ROWS: '-3' }), /QUIVER_MAX_INPUT_ROWS must be a positive integer, got "-3"/)
  assert.throws(() => inputLimits({ QUIVER_MAX_JSON_DEPTH: '1e3x' }), (e: Error & { code?: string }) => e.code === 'invalid_input')
})

test('sizes past a limit are too_large, depth past a limit is invalid_input', () => {
  const rows = limitExceeded("input 'x'", 'maxRows', 10, 11)
  assert.equal(rows.code, 'too_large')
  assert.match(rows.message, /input 'x': 11 rows is past the limit of 10 \(set QUIVER_MAX_INPUT_ROWS/)
  const depth = limitExceeded('JSON body', 'maxJsonDepth', 64, 65)
  assert.equal(depth.code, 'invalid_input')
  assert.match(depth.message, /65 JSON nesting levels is past the limit of 64/)
})
