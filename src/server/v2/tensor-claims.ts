/**
 * What a V2 input claims (its shape) checked against what it carries (JSON data elements, binary
 * bytes) and against the input limits, before anything sized by the shape is allocated. A shape of
 * [2^31, 4] with four numbers of data is a 400 naming the input and both counts, not a RangeError.
 */
import { InvalidInput } from '../../errors.js'
import { inputLimits, limitExceeded, type InputLimits } from '../../data/input-limits.js'
import { ELEMENT_SIZE, type Datatype, type RequestInput } from './types.js'

const showShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`

/** The element count the shape claims, once it is known to match the data and the limits. */
export function checkedElementCount(
  input: RequestInput,
  datatype: Datatype,
  binary: Uint8Array | undefined,
  limits: InputLimits = inputLimits(),
): number {
  const { name, shape } = input
  let count = 1
  for (let k = 0; k < shape.length; k++) {
    const d = shape[k]!
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new InvalidInput(`input '${name}' shape ${showShape(shape)}: dimension ${k} is ${d}; dimensions are whole numbers from 0 to 2^53-1`, {
        field: name, expected: 'non-negative integer dimensions', got: showShape(shape),
      })
    }
    count *= d
  }
  if (!Number.isSafeInteger(count)) {
    throw new InvalidInput(`input '${name}' shape ${showShape(shape)} claims ${count} elements, more than any body can carry`, {
      field: name, expected: 'a shape matching the data', got: showShape(shape),
    })
  }
  const actual = binary ? binaryElements(input, datatype, binary, count) : jsonElements(input.data)
  if (actual !== undefined && actual !== count) {
    const carried = binary
      ? `its ${binary.byteLength} bytes of binary data hold ${datatype === 'BYTES' ? 'at most ' : ''}${actual}`
      : `its data holds ${actual}`
    throw new InvalidInput(`input '${name}' shape ${showShape(shape)} claims ${count} ${datatype} elements but ${carried}`, {
      field: name, expected: `${count} elements (shape ${showShape(shape)})`, got: `${actual} elements`,
    })
  }
  const rows = shape[0] ?? 0
  if (rows > limits.maxRows) throw limitExceeded(`V2 input '${name}'`, 'maxRows', limits.maxRows, rows)
  const bytes = datatype === 'BYTES' ? (binary?.byteLength ?? 0) : count * ELEMENT_SIZE[datatype]
  if (bytes > limits.maxDecodedBytes) throw limitExceeded(`V2 input '${name}'`, 'maxDecodedBytes', limits.maxDecodedBytes, bytes)
  return count
}

/**
 * Elements in binary data: exact for fixed-size types; for BYTES (4-byte length prefix each) a
 * count past bytes/4 cannot fit, and anything below that is checked element by element later.
 */
function binaryElements(input: RequestInput, datatype: Datatype, binary: Uint8Array, claimed: number): number | undefined {
  if (datatype !== 'BYTES') {
    const size = ELEMENT_SIZE[datatype]
    if (binary.byteLength % size !== 0) {
      throw new InvalidInput(`input '${input.name}' has ${binary.byteLength} bytes of binary data, not a whole number of ${size}-byte ${datatype} elements`, {
        field: input.name, expected: `a multiple of ${size} bytes`, got: `${binary.byteLength} bytes`,
      })
    }
    return binary.byteLength / size
  }
  const most = Math.floor(binary.byteLength / 4)
  return claimed > most ? most : undefined
}

/** Leaf values of JSON tensor data (flat or nested); undefined when it is not an array at all. */
function jsonElements(data: unknown): number | undefined {
  if (!Array.isArray(data)) return undefined
  let n = 0
  const stack: unknown[][] = [data]
  while (stack.length) {
    const arr = stack.pop()!
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i]
      if (Array.isArray(v)) stack.push(v)
      else n++
    }
  }
  return n
}
