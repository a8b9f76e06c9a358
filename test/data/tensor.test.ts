import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as arrow from 'apache-arrow'
import { columnToTensor, fieldTensorShape, tensorFieldType, tensorToColumn } from '../../src/data/tensor.js'
import type { TensorView } from '../../src/data/tensor.js'
import { toArrowType, typeLabel } from '../../src/data/schema.js'
import type { FieldType } from '../../src/data/schema.js'

const F32x4: FieldType = { list: 'float32', size: 4 }

function fslColumn(values: Float32Array, type: FieldType): arrow.Vector {
  const t = toArrowType(type)
  const levels: arrow.DataType[] = []
  for (let x: arrow.DataType = t; x.typeId === arrow.Type.FixedSizeList; x = x.children[0]!.type) levels.push(x)
  let data: arrow.Data = arrow.makeData({ type: new arrow.Float32(), data: values })
  for (let i = levels.length - 1; i >= 0; i--) {
    const size = (levels[i] as arrow.FixedSizeList).listSize
    data = arrow.makeData({ type: levels[i] as arrow.FixedSizeList, length: data.length / size, child: data })
  }
  return arrow.makeVector(data)
}

test('a scalar float32 column is a view over its values buffer with dims [rows]', () => {
  const values = new Float32Array([1, 2, 3])
  const col = arrow.makeVector(values)
  const t = columnToTensor(col, 'x')
  assert.equal(t.type, 'float32')
  assert.deepEqual(t.dims, [3])
  assert.equal((t.data as Float32Array).buffer, values.buffer)
  assert.deepEqual([...(t.data as Float32Array)], [1, 2, 3])
})

test('a fixed-size list column is a view with dims [rows, size]', () => {
  const values = Float32Array.from({ length: 12 }, (_, i) => i)
  const t = columnToTensor(fslColumn(values, F32x4), 'features')
  assert.deepEqual(t.dims, [3, 4])
  assert.equal((t.data as Float32Array).buffer, values.buffer)
  assert.equal((t.data as Float32Array).byteOffset, values.byteOffset)
  assert.equal(t.data.length, 12)
})

test('nested fixed-size lists give dims [rows, 3, 4] over the innermost buffer', () => {
  const values = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i)
  const t = columnToTensor(fslColumn(values, { list: F32x4, size: 3 }), 'cube')
  assert.deepEqual(t.dims, [2, 3, 4])
  assert.equal((t.data as Float32Array).buffer, values.buffer)
  assert.equal((t.data as Float32Array)[23], 23)
})

test('a sliced table column starts the view at the slice offset without copying', () => {
  const values = Float32Array.from({ length: 40 }, (_, i) => i)
  const table = new arrow.Table({ features: fslColumn(values, F32x4) })
  const sliced = table.slice(3, 7).getChild('features')!
  const t = columnToTensor(sliced, 'features')
  assert.deepEqual(t.dims, [4, 4])
  assert.equal((t.data as Float32Array).buffer, values.buffer)
  assert.deepEqual([...(t.data as Float32Array)], Array.from({ length: 16 }, (_, i) => 12 + i))
  const scalar = arrow.makeVector(new Float64Array([0, 1, 2, 3, 4, 5])).slice(2, 5)
  assert.deepEqual([...(columnToTensor(scalar).data as Float64Array)], [2, 3, 4])
})

test('int64 columns become BigInt64Array views; uint8 and float16 keep their arrays', () => {
  const i64 = new BigInt64Array([1n, -2n, 3n])
  const t = columnToTensor(arrow.makeVector(i64), 'ids')
  assert.equal(t.type, 'int64')
  assert.ok(t.data instanceof BigInt64Array)
  assert.equal(t.data.buffer, i64.buffer)
  assert.equal(columnToTensor(arrow.makeVector(new Uint8Array([7]))).type, 'uint8')
  const half = arrow.makeData({ type: new arrow.Float16(), data: new Uint16Array([0x3c00, 0x4000]) })
  const h = columnToTensor(arrow.makeVector(half))
  assert.equal(h.type, 'float16')
  assert.deepEqual([...(h.data as Uint16Array)], [0x3c00, 0x4000])
})

test('bool columns unpack to one byte per value, honouring a bit offset', () => {
  const col = arrow.vectorFromArray([true, false, true, true, false, false, true, false, true, true], new arrow.Bool())
  assert.deepEqual([...(columnToTensor(col).data as Uint8Array)], [1, 0, 1, 1, 0, 0, 1, 0, 1, 1])
  const t = columnToTensor(col.slice(5, 10), 'flag')
  assert.equal(t.type, 'bool')
  assert.deepEqual([...(t.data as Uint8Array)], [0, 1, 0, 1, 1])
})

test('string columns (plain, dictionary, fixed-size lists) become string arrays', () => {
  const plain = arrow.vectorFromArray(['a', 'bé', ''], new arrow.Utf8())
  assert.deepEqual(columnToTensor(plain).data, ['a', 'bé', ''])
  const dict = arrow.vectorFromArray(['x', 'y', 'x'])
  assert.equal(dict.type.typeId, arrow.Type.Dictionary)
  assert.deepEqual(columnToTensor(dict), { type: 'string', data: ['x', 'y', 'x'], dims: [3] })
  const pairs = tensorToColumn({ type: 'string', data: ['a', 'b', 'c', 'd'], dims: [2, 2] })
  assert.deepEqual(columnToTensor(pairs.slice(1), 'pairs'), { type: 'string', data: ['c', 'd'], dims: [1, 2] })
})

test('a column of several chunks is concatenated in row order', () => {
  const a = fslColumn(new Float32Array([1, 2, 3, 4]), F32x4)
  const b = fslColumn(new Float32Array([5, 6, 7, 8, 9, 10, 11, 12]), F32x4)
  const col = a.concat(b)
  assert.equal(col.data.length, 2)
  const t = columnToTensor(col, 'features')
  assert.deepEqual(t.dims, [3, 4])
  assert.deepEqual([...(t.data as Float32Array)], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
  const strings = arrow.vectorFromArray(['a'], new arrow.Utf8()).concat(arrow.vectorFromArray(['b', 'c'], new arrow.Utf8()))
  assert.deepEqual(columnToTensor(strings).data, ['a', 'b', 'c'])
})

test('equal-length variable lists are views; ragged ones are refused naming the row', () => {
  const even = arrow.vectorFromArray([[1, 2], [3, 4], [5, 6]], new arrow.List(new arrow.Field('item', new arrow.Int32(), true)))
  const t = columnToTensor(even, 'tokens')
  assert.deepEqual(t.dims, [3, 2])
  assert.deepEqual([...(t.data as Int32Array)], [1, 2, 3, 4, 5, 6])
  assert.deepEqual([...(columnToTensor(even.slice(1), 'tokens').data as Int32Array)], [3, 4, 5, 6])
  const ragged = arrow.vectorFromArray([[1, 2], [3, 4], [5]], new arrow.List(new arrow.Field('item', new arrow.Int32(), true)))
  assert.throws(() => columnToTensor(ragged, 'tokens'), (e: any) =>
    e.code === 'invalid_input' && e.details.field === 'tokens' && e.details.row === 2 && /row 2 has a list of 1 values where row 0 has 2/.test(e.message))
})

test('nulls are refused with the field and the row, also inside lists', () => {
  const scalar = arrow.vectorFromArray([1, null, 3], new arrow.Float32())
  assert.throws(() => columnToTensor(scalar, 'x'), (e: any) => e.code === 'invalid_input' && e.details.row === 1 && /'x' row 1 is null/.test(e.message))
  const inner = arrow.vectorFromArray([[1, 2], [3, null]], new arrow.FixedSizeList(2, new arrow.Field('item', new arrow.Float32(), true)))
  assert.throws(() => columnToTensor(inner, 'pair'), (e: any) => e.details.field === 'pair' && e.details.row === 1)
})

test('types that are not tensors are refused by name', () => {
  const struct = arrow.vectorFromArray([{ a: 1 }], new arrow.Struct([new arrow.Field('a', new arrow.Int32())]))
  assert.throws(() => columnToTensor(struct, 'rec'), /field 'rec' has type Struct<\{a:Int32\}>, which is not a tensor/)
})

test('tensorToColumn wraps a typed array as nested fixed-size lists without copying', () => {
  const values = Float32Array.from({ length: 24 }, (_, i) => i)
  const col = tensorToColumn({ type: 'float32', data: values, dims: [2, 3, 4] })
  assert.equal(typeLabel(tensorFieldType('float32', [3, 4])), 'list<list<float32>[4]>[3]')
  assert.equal(String(col.type), String(toArrowType({ list: F32x4, size: 3 })))
  assert.equal(col.length, 2)
  assert.equal(col.data[0]!.children[0]!.children[0]!.values, values)
  assert.deepEqual([...(col.get(1)!.get(2) as arrow.Vector)], [20, 21, 22, 23])
})

test('tensorToColumn reshapes to a given type of the same per-row size and refuses others', () => {
  const values = Float32Array.from({ length: 8 }, (_, i) => i)
  const col = tensorToColumn({ type: 'float32', data: values, dims: [2, 2, 2] }, F32x4)
  assert.equal(String(col.type), String(toArrowType(F32x4)))
  assert.deepEqual([...(col.get(1) as arrow.Vector)], [4, 5, 6, 7])
  const one = tensorToColumn({ type: 'float32', data: new Float32Array([1, 2]), dims: [2, 1] }, 'float32')
  assert.deepEqual([...one], [1, 2])
  assert.throws(() => tensorToColumn({ type: 'float32', data: values, dims: [2, 4] }, { list: 'float32', size: 3 }), /shape \[2, 4\] does not fit per-row shape \[3\]/)
  assert.throws(() => tensorToColumn({ type: 'float64', data: new Float64Array(8), dims: [2, 4] }, F32x4), /float64 tensor cannot become a list<float32>\[4\] column/)
  assert.throws(() => tensorToColumn({ type: 'float32', data: new Float32Array(7), dims: [2, 4] }), /must hold 8 values, it holds 7/)
})

test('bool, string, int64, float16 and variable-list tensors round-trip through columns', () => {
  const cases: TensorView[] = [
    { type: 'bool', data: new Uint8Array([1, 0, 0, 1]), dims: [4] },
    { type: 'string', data: ['ä', '', 'long text', 'z'], dims: [2, 2] },
    { type: 'int64', data: new BigInt64Array([9007199254740993n, -1n]), dims: [2] },
    { type: 'uint64', data: new BigUint64Array([1n, 2n]), dims: [1, 2] },
    { type: 'float16', data: new Uint16Array([0x3c00, 0xc000]), dims: [2] },
    { type: 'int8', data: new Int8Array([-3, 3]), dims: [2] },
  ]
  for (const c of cases) {
    const back = columnToTensor(tensorToColumn(c))
    assert.deepEqual(back, { type: c.type, data: c.data, dims: [...c.dims] }, c.type)
  }
  const variable = tensorToColumn({ type: 'int32', data: new Int32Array([1, 2, 3, 4, 5, 6]), dims: [2, 3] }, { list: 'int32', size: null })
  assert.equal(variable.type.typeId, arrow.Type.List)
  assert.deepEqual([...(variable.get(1) as arrow.Vector)], [4, 5, 6])
  assert.deepEqual(columnToTensor(variable).dims, [2, 3])
})

test('empty columns give zero-row tensors and back', () => {
  const empty = tensorToColumn({ type: 'float32', data: new Float32Array(0), dims: [0, 4] })
  assert.equal(empty.length, 0)
  assert.deepEqual(columnToTensor(empty).dims, [0, 4])
  const noChunks = new arrow.Table(new arrow.Schema([new arrow.Field('f', toArrowType(F32x4))])).getChild('f')!
  assert.deepEqual(columnToTensor(noChunks, 'f').dims, [0, 4])
})

test('fieldTensorShape reads element type and per-row dims from schema types', () => {
  assert.deepEqual(fieldTensorShape({ list: { list: 'int64', size: null }, size: 3 }), { type: 'int64', dims: [3, null] })
  assert.deepEqual(fieldTensorShape('string'), { type: 'string', dims: [] })
  assert.equal(fieldTensorShape('timestamp[ms]'), null)
  assert.equal(fieldTensorShape({ struct: [] }), null)
})
