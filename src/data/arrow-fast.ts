/**
 * Record batches and tables built without apache-arrow's general constructors, for the per-request
 * path. `new RecordBatch(schema, data)` re-derives the schema (a clone and a metadata merge) and
 * the struct type on every call, and `new Table(schema, batches)` compares every batch's schema
 * field by field through the visitor machinery: together ~10 µs for a one-row answer. When the
 * caller already holds the exact schema and children of equal length, these make the same objects
 * directly; anything else goes through the general constructors.
 */
import * as arrow from 'apache-arrow'

const structs = new WeakMap<arrow.Schema, arrow.Struct>()

/** The struct type of a schema's fields, made once per schema object. */
export function structOf(schema: arrow.Schema): arrow.Struct {
  let type = structs.get(schema)
  if (!type) structs.set(schema, (type = new arrow.Struct(schema.fields)))
  return type
}

/** A record batch of `children` (one per schema field, in order, of the field's type) of `length` rows. */
export function recordBatchOf(schema: arrow.Schema, children: readonly arrow.Data[], length: number): arrow.RecordBatch {
  const fields = schema.fields
  let exact = children.length === fields.length
  for (let i = 0; exact && i < children.length; i++) {
    const child = children[i]!
    exact = child.length === length && child.typeId === fields[i]!.type.typeId
  }
  const data = new arrow.Data(structOf(schema), 0, length, 0, undefined, children as arrow.Data[]) as arrow.Data<arrow.Struct>
  if (!exact) return new arrow.RecordBatch(schema, data)
  return Object.assign(Object.create(arrow.RecordBatch.prototype) as arrow.RecordBatch, { schema, data, _metadata: new Map<string, string>() })
}

/** A table of batches that all carry `schema` itself (the same object); else the general constructor. */
export function tableOf(schema: arrow.Schema, batches: readonly arrow.RecordBatch[]): arrow.Table {
  if (!batches.every((b) => b.schema === schema)) return new arrow.Table(schema, batches as arrow.RecordBatch[])
  const offsets = new Uint32Array(batches.length + 1)
  for (let i = 0; i < batches.length; i++) offsets[i + 1] = offsets[i]! + batches[i]!.numRows
  return Object.assign(Object.create(arrow.Table.prototype) as arrow.Table, { schema, batches, _offsets: offsets })
}

/** A column's chunks, one per batch, without the Vector `getChildAt` makes (it allocates its own offsets array). */
export function columnChunks(table: arrow.Table, index: number): arrow.Data[] {
  const chunks = table.batches.map((b) => b.data.children[index]!)
  // No batches, or a batch without children (an empty table), get the null-filled column arrow makes.
  return chunks.length > 0 && chunks.every((d) => d !== undefined) ? chunks : [...(table.getChildAt(index)?.data ?? [])]
}

/** Data of a fixed-width type without nulls over `values` (already of the type's array class), as `makeData` would make it. */
export function fixedWidthData<T extends arrow.DataType>(type: T, length: number, values: ArrayBufferView): arrow.Data<T> {
  if (!(values instanceof (type as unknown as { ArrayType: new (n: number) => unknown }).ArrayType)) {
    return arrow.makeData({ type, length, nullCount: 0, data: values } as never) as arrow.Data<T>
  }
  return new arrow.Data(type, 0, length, 0, [undefined, values as never, undefined] as never)
}

/** A fixed-size list Data of `length` lists without nulls over `child`, as `makeData` would make it. */
export function fixedSizeListData(type: arrow.FixedSizeList, length: number, child: arrow.Data): arrow.Data<arrow.FixedSizeList> {
  return new arrow.Data(type, 0, length, 0, [undefined, undefined, undefined] as never, [child])
}
