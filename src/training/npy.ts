/** A float64 matrix as NumPy's .npy (version 1.0, little-endian, C order): what the Python trainer loads. */
export function npyBytes(values: Float64Array, rows: number, cols: number): Uint8Array {
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`
  const total = 10 + header.length + 1
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n'
  const out = new Uint8Array(10 + header.length + values.byteLength)
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0)
  new DataView(out.buffer).setUint16(8, header.length, true)
  out.set(new TextEncoder().encode(header), 10)
  const body = new Float64Array(values) // own, aligned copy
  out.set(new Uint8Array(body.buffer), 10 + header.length)
  return out
}

/** The rows `index` of a row-major matrix. */
export function takeRows(X: Float64Array, cols: number, index: Int32Array): Float64Array {
  const out = new Float64Array(index.length * cols)
  for (let r = 0; r < index.length; r++) out.set(X.subarray(index[r]! * cols, index[r]! * cols + cols), r * cols)
  return out
}
