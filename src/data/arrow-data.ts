/** Small untyped helpers over Arrow `Data` shared by the readers, writers and the result table. */
import * as arrow from 'apache-arrow'

/** `arrow.makeData` for a type known only at run time (its overloads need a static type). */
export const makeAnyData = arrow.makeData as unknown as (props: Record<string, unknown>) => arrow.Data

/** Whether slot `i` (relative to the Data's own offset) holds a value. */
export function isValidAt(data: arrow.Data, i: number): boolean {
  const bitmap = data.nullBitmap
  if (bitmap === undefined || bitmap.length === 0) return data.typeId !== arrow.Type.Null
  const k = data.offset + i
  return (bitmap[k >> 3]! & (1 << (k & 7))) !== 0
}

/** Index of the first null slot in [0, data.length), or -1. Cheap when the null count is 0. */
export function firstNull(data: arrow.Data): number {
  if (data.nullCount === 0) return -1
  for (let i = 0; i < data.length; i++) if (!isValidAt(data, i)) return i
  return -1
}
