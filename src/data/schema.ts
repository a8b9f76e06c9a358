/**
 * SPEC §3 schema JSON ⇄ Apache Arrow types. A schema is a JSON array of fields
 * `{name, type, nullable}`; types map one to one onto Arrow types.
 */
import * as arrow from 'apache-arrow'
import { InvalidInput } from '../errors.js'

export const SCALAR_TYPES = [
  'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64',
  'float16', 'float32', 'float64', 'string', 'binary', 'timestamp[ms]',
] as const
export type ScalarType = (typeof SCALAR_TYPES)[number]

export interface ListType { list: FieldType; size: number | null }
export interface StructType { struct: SchemaField[] }
export type FieldType = ScalarType | ListType | StructType

export interface SchemaField {
  name: string
  type: FieldType
  nullable: boolean
  /**
   * An input the caller may leave out (SPEC §10's optional inputs): absent from the input, it is a
   * column of nulls, so it must be nullable. Present only when true; a field without it is required.
   */
  optional?: true
}

/** Whether input may leave this field out (it is then all nulls). */
export function isOptional(f: SchemaField): boolean {
  return f.optional === true
}
export type ModelSchema = SchemaField[]

export function isListType(t: FieldType): t is ListType {
  return typeof t === 'object' && 'list' in t
}
export function isStructType(t: FieldType): t is StructType {
  return typeof t === 'object' && 'struct' in t
}

/** Human spelling of a type, as used in error messages: `float32`, `list<float32>[4]`. */
export function typeLabel(t: FieldType): string {
  if (typeof t === 'string') return t
  if (isListType(t)) return `list<${typeLabel(t.list)}>${t.size === null ? '' : `[${t.size}]`}`
  return `struct<${t.struct.map((f) => `${f.name}: ${typeLabel(f.type)}`).join(', ')}>`
}

/**
 * Validates untrusted schema JSON (a file, a request body) and returns it normalised
 * (`nullable` defaulted to true). `what` names the source in errors, e.g. "input schema".
 */
export function parseSchema(value: unknown, what = 'schema'): ModelSchema {
  if (!Array.isArray(value)) {
    throw new InvalidInput(`${what} must be a JSON array of fields {name, type, nullable}, got ${jsonKind(value)}`)
  }
  return parseFields(value, what)
}

function parseFields(value: unknown[], path: string): SchemaField[] {
  const seen = new Set<string>()
  return value.map((raw, i) => {
    const at = `${path}[${i}]`
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new InvalidInput(`${at} must be an object {name, type, nullable}, got ${jsonKind(raw)}`)
    }
    const f = raw as Record<string, unknown>
    if (typeof f.name !== 'string' || f.name.length === 0) {
      throw new InvalidInput(`${at}.name must be a non-empty string, got ${JSON.stringify(f.name)}`)
    }
    if (seen.has(f.name)) throw new InvalidInput(`${path} names field '${f.name}' twice`)
    seen.add(f.name)
    if (f.nullable !== undefined && typeof f.nullable !== 'boolean') {
      throw new InvalidInput(`${at}.nullable must be true or false, got ${JSON.stringify(f.nullable)}`)
    }
    if (f.optional !== undefined && typeof f.optional !== 'boolean') {
      throw new InvalidInput(`${at}.optional must be true or false, got ${JSON.stringify(f.optional)}`)
    }
    const nullable = f.nullable ?? true
    if (f.optional === true && !nullable) {
      throw new InvalidInput(`${at} ('${f.name}') is optional but not nullable; a field left out of the input is all nulls, so an optional field must be nullable`)
    }
    return { name: f.name, type: parseType(f.type, `${at} ('${f.name}')`), nullable, ...(f.optional === true ? { optional: true as const } : {}) }
  })
}

function parseType(t: unknown, at: string): FieldType {
  if (typeof t === 'string') {
    if ((SCALAR_TYPES as readonly string[]).includes(t)) return t as ScalarType
    throw new InvalidInput(`${at} has unknown type '${t}'; known types: ${SCALAR_TYPES.join(', ')}, {"list": T, "size": N|null}, {"struct": [...]}`)
  }
  if (typeof t === 'object' && t !== null && !Array.isArray(t)) {
    const o = t as Record<string, unknown>
    if ('list' in o) {
      const size = o.size ?? null
      if (size !== null && (typeof size !== 'number' || !Number.isInteger(size) || size < 1)) {
        throw new InvalidInput(`${at} list size must be a positive integer or null, got ${JSON.stringify(o.size)}`)
      }
      return { list: parseType(o.list, `${at} list item`), size: size as number | null }
    }
    if ('struct' in o) {
      if (!Array.isArray(o.struct)) throw new InvalidInput(`${at} struct must be an array of fields`)
      return { struct: parseFields(o.struct, `${at}.struct`) }
    }
  }
  throw new InvalidInput(`${at} has an invalid type ${JSON.stringify(t)}; expected a type name, {"list": T, "size": N|null} or {"struct": [...]}`)
}

function jsonKind(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`
}

export function toArrowType(t: FieldType): arrow.DataType {
  if (typeof t === 'string') {
    switch (t) {
      case 'bool': return new arrow.Bool()
      case 'int8': return new arrow.Int8()
      case 'int16': return new arrow.Int16()
      case 'int32': return new arrow.Int32()
      case 'int64': return new arrow.Int64()
      case 'uint8': return new arrow.Uint8()
      case 'uint16': return new arrow.Uint16()
      case 'uint32': return new arrow.Uint32()
      case 'uint64': return new arrow.Uint64()
      case 'float16': return new arrow.Float16()
      case 'float32': return new arrow.Float32()
      case 'float64': return new arrow.Float64()
      case 'string': return new arrow.Utf8()
      case 'binary': return new arrow.Binary()
      case 'timestamp[ms]': return new arrow.TimestampMillisecond()
    }
  }
  if (isListType(t)) {
    const child = new arrow.Field('item', toArrowType(t.list), true)
    return t.size === null ? new arrow.List(child) : new arrow.FixedSizeList(t.size, child)
  }
  return new arrow.Struct(t.struct.map(toArrowField))
}

export function toArrowField(f: SchemaField): arrow.Field {
  return new arrow.Field(f.name, toArrowType(f.type), f.nullable)
}

/** Arrow schemas of model schemas, made once per schema object (a loaded model's schemas live as long as it). */
const arrowSchemas = new WeakMap<ModelSchema, arrow.Schema>()

export function toArrowSchema(schema: ModelSchema): arrow.Schema {
  let out = arrowSchemas.get(schema)
  if (!out) arrowSchemas.set(schema, (out = new arrow.Schema(schema.map(toArrowField))))
  return out
}

export function fromArrowType(t: arrow.DataType): FieldType {
  switch (t.typeId) {
    case arrow.Type.Bool: return 'bool'
    case arrow.Type.Int: {
      const i = t as arrow.Int
      return `${i.isSigned ? 'int' : 'uint'}${i.bitWidth}` as ScalarType
    }
    case arrow.Type.Float: {
      const p = (t as arrow.Float).precision
      return p === arrow.Precision.HALF ? 'float16' : p === arrow.Precision.SINGLE ? 'float32' : 'float64'
    }
    case arrow.Type.Utf8:
    case arrow.Type.LargeUtf8: return 'string'
    case arrow.Type.Binary:
    case arrow.Type.LargeBinary: return 'binary'
    case arrow.Type.Timestamp: return 'timestamp[ms]'
    case arrow.Type.FixedSizeList: {
      const l = t as arrow.FixedSizeList
      return { list: fromArrowType(l.children[0]!.type), size: l.listSize }
    }
    case arrow.Type.List: return { list: fromArrowType((t as arrow.List).children[0]!.type), size: null }
    case arrow.Type.Struct: return { struct: (t as arrow.Struct).children.map(fromArrowField) }
  }
  throw new InvalidInput(`Arrow type ${String(t)} has no Quiver schema type; supported: ${SCALAR_TYPES.join(', ')}, list, fixed-size list, struct`)
}

export function fromArrowField(f: arrow.Field): SchemaField {
  return { name: f.name, type: fromArrowType(f.type), nullable: f.nullable }
}

export function fromArrowSchema(schema: arrow.Schema): ModelSchema {
  return schema.fields.map(fromArrowField)
}

export function sameType(a: FieldType, b: FieldType): boolean {
  return typeLabel(a) === typeLabel(b)
}
