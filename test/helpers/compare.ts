import assert from 'node:assert/strict'

export interface Tolerance {
  abs: number
  rel: number
}

/**
 * Compares nested arrays of values the way the fixtures define it: floats within
 * `abs + rel * |expected|`, everything else exactly. `where` names the place in failures.
 */
export function assertClose(got: unknown, expected: unknown, tol: Tolerance, where = 'value'): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(got), `${where}: expected an array, got ${JSON.stringify(got)}`)
    assert.equal(got.length, expected.length, `${where}: expected ${expected.length} items, got ${got.length}`)
    expected.forEach((e, i) => assertClose(got[i], e, tol, `${where}[${i}]`))
    return
  }
  if (typeof expected === 'number' && !Number.isInteger(expected)) {
    const g = Number(got)
    assert.ok(Math.abs(g - expected) <= tol.abs + tol.rel * Math.abs(expected), `${where}: got ${got}, expected ${expected} (±${tol.abs} + ${tol.rel}·|e|)`)
    return
  }
  if (typeof expected === 'number' && typeof got === 'number') {
    assert.ok(Math.abs(got - expected) <= tol.abs + tol.rel * Math.abs(expected), `${where}: got ${got}, expected ${expected}`)
    return
  }
  assert.deepEqual(got, expected, `${where}: got ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`)
}
