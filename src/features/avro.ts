/**
 * Fetch responses as Avro binary (Chronon's wire format): the schema of a set's response, and the
 * encoding of results into it. Longs are read and written as bigints, so int64 values past 2^53
 * stay exact; every feature (and struct field) is a union with null, as a value may be missing;
 * lists are arrays, structs records.
 */
import avro from 'avsc'
import { InvalidInput } from '../errors.js'
import { isListType, isStructType, typeLabel, type FieldType } from '../data/schema.js'
import type { FeatureSetRecord } from './feature-set-record.js'
import type { FetchResult } from './online-fetch.js'

type AvroType = string | Record<string, unknown>

function avroTypeOf(t: FieldType, path: string): AvroType {
  if (isListType(t)) return { type: 'array', items: avroTypeOf(t.list, path) }
  // A record named after its path (unique in the schema); each field may be null, as in Arrow.
  if (isStructType(t)) {
    return {
      type: 'record', name: path.replace(/[^A-Za-z0-9_]/g, '_'),
      fields: t.struct.map((f) => ({ name: f.name, type: ['null', avroTypeOf(f.type, `${path}.${f.name}`)], default: null })),
    }
  }
  switch (t) {
    case 'bool': return 'boolean'
    case 'int8': case 'int16': case 'int32': case 'uint8': case 'uint16': return 'int'
    case 'uint32': case 'int64': case 'uint64': return 'long'
    case 'float16': case 'float32': return 'float'
    case 'float64': return 'double'
    case 'string': return 'string'
    case 'binary': return 'bytes'
    case 'timestamp[ms]': return { type: 'long', logicalType: 'timestamp-millis' }
  }
  throw new InvalidInput(`${path} is ${typeLabel(t)}, which has no Avro form here`, { field: path })
}

const recordName = (set: string) => `${set.replace(/[^A-Za-z0-9_]/g, '_')}_fetch`

/** The Avro schema (JSON) of one entity's fetch response for `features` (default: all) of the set. */
export function fetchAvroSchema(record: FeatureSetRecord, features?: readonly string[]): Record<string, unknown> {
  const def = record.definition
  const wanted = features ?? def.features.map((f) => f.name)
  const fields = wanted.map((name) => {
    const f = def.features.find((x) => x.name === name)
    if (!f) throw new InvalidInput(`features: unknown feature '${name}' in feature set ${def.name}`, { field: 'features', got: name })
    return { name, type: ['null', avroTypeOf(f.type, `${def.name}.${name}`)], default: null }
  })
  return {
    type: 'record', name: recordName(def.name), namespace: 'quiver.features',
    fields: [
      { name: 'keys', type: { type: 'record', name: 'Keys', fields: record.keys.map((k) => ({ name: k.name, type: avroTypeOf(k.type, `${def.name}.${k.name}`) })) } },
      { name: 'features', type: { type: 'record', name: 'Features', fields } },
      { name: 'models', type: { type: 'map', values: 'string' } },
      { name: 'missing', type: { type: 'array', items: 'string' } },
    ],
  }
}

/** avsc's long as a bigint, so no value past 2^53 is rounded. */
const LONG = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8)
    buf.writeBigInt64LE(BigInt.asIntN(64, n))
    return buf
  },
  fromJSON: (v: unknown) => BigInt(v as string),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
})

/** The avsc type of a schema, with bigint longs; `many` wraps it in an array of results. */
export function avroType(schema: Record<string, unknown>, many = false): avro.Type {
  // Unions of null and one type are unwrapped: a feature's value is itself or null.
  return avro.Type.forSchema(many ? { type: 'array', items: schema } as never : schema as never, { registry: { long: LONG }, wrapUnions: false } as never)
}

const FLOAT_WORDS: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY }

/** A value as `fetchResults` wrote it (JSON form) → as Avro takes it for type `t`. */
function toAvro(v: unknown, t: FieldType): unknown {
  if (v === null || v === undefined) return null
  if (isListType(t)) return (v as unknown[]).map((x) => toAvro(x, t.list))
  if (isStructType(t)) return Object.fromEntries(t.struct.map((f) => [f.name, toAvro((v as Record<string, unknown>)[f.name], f.type)]))
  switch (t) {
    case 'uint32': case 'int64': case 'uint64': return BigInt(v as number | string)
    case 'timestamp[ms]': return BigInt(typeof v === 'string' ? Date.parse(v) : (v as number))
    case 'float16': case 'float32': case 'float64': return typeof v === 'string' ? FLOAT_WORDS[v] : v
    case 'binary': return Buffer.from(v as string, 'base64')
  }
  return v
}

/** Encodes results (one, or several as an array) with the set's schema for their features. */
export function encodeFetchAvro(record: FeatureSetRecord, results: FetchResult[], features: readonly string[] | undefined, many: boolean): Buffer {
  const def = record.definition
  const names = features ?? def.features.map((f) => f.name)
  const typeOf = new Map(def.features.map((f) => [f.name, f.type]))
  const datum = results.map((r) => ({
    keys: Object.fromEntries(record.keys.map((k) => [k.name, toAvro(r.keys[k.name], k.type)])),
    features: Object.fromEntries(names.map((n) => [n, toAvro(r.features[n], typeOf.get(n)!)])),
    models: r.models,
    missing: r.missing,
  }))
  const type = avroType(fetchAvroSchema(record, names), many)
  return type.toBuffer(many ? datum : datum[0])
}
