import * as arrow from 'apache-arrow'

/** Plain JS values of a column (lists as arrays, int64 as numbers). */
export function columnValues(table: arrow.Table, name: string): unknown[] {
  const v = table.getChild(name)
  if (!v) throw new Error(`result has no column ${name}`)
  return [...v].map(plain)
}

function plain(x: unknown): unknown {
  if (typeof x === 'bigint') return Number(x)
  if (x instanceof arrow.Vector) return [...x].map(plain)
  if (ArrayBuffer.isView(x)) return [...(x as unknown as Iterable<unknown>)].map(plain)
  return x
}

/** First mismatch between `got` and `want` (floats within `abs + rel·|want|`, the rest exactly or within it), or null. */
export function mismatch(got: unknown, want: unknown, tol: { abs: number; rel: number }, at = ''): string | null {
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) return `${at}: expected ${want.length} items, got ${JSON.stringify(got)}`
    for (let i = 0; i < want.length; i++) {
      const m = mismatch(got[i], want[i], tol, `${at}[${i}]`)
      if (m) return m
    }
    return null
  }
  if (typeof want === 'number' && typeof got === 'number' && !Number.isInteger(want)) {
    return Math.abs(got - want) <= tol.abs + tol.rel * Math.abs(want) ? null : `${at}: expected ${want}, got ${got}`
  }
  if (typeof want === 'number' && typeof got === 'number') {
    return Math.abs(got - want) <= tol.abs + tol.rel * Math.abs(want) ? null : `${at}: expected ${want}, got ${got}`
  }
  return got === want ? null : `${at}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`
}
