/**
 * A feature set's rows in the online store: which namespace they live in, how keys and values
 * are encoded, the ttl rule. Writing takes Arrow columns (keys, event times, base features);
 * reading gives Arrow columns back for the keys asked, with the entities found.
 */
import { createHash } from 'node:crypto'
import type * as arrow from 'apache-arrow'
import type { SchemaField } from '../../data/schema.js'
import { parseDuration } from '../definition.js'
import type { FeatureSetRecord } from '../feature-set-record.js'
import { decodeRows, encodeRows } from './row-codec.js'
import type { OnlineStore } from './online-store.js'

export interface OnlineLayout {
  set: string
  /** `workspace:set:fingerprint`: a change to the keys or base features starts a new namespace. */
  namespace: string
  keys: SchemaField[]
  /** The stored values: the set's base features, in definition order. */
  fields: SchemaField[]
  ttlMs: number | null
}

const LAYOUTS = new WeakMap<FeatureSetRecord, OnlineLayout>()

/** The layout of a set version (kept per record object, as fetch asks for it on every call). */
export function onlineLayout(record: FeatureSetRecord): OnlineLayout {
  let layout = LAYOUTS.get(record)
  if (!layout) LAYOUTS.set(record, (layout = layoutOf(record)))
  return layout
}

function layoutOf(record: FeatureSetRecord): OnlineLayout {
  const def = record.definition
  const keys = record.keys.map((k) => ({ name: k.name, type: k.type, nullable: false }))
  const fields = def.features.filter((f) => !f.inference).map((f) => ({ name: f.name, type: f.type, nullable: true }))
  const fp = createHash('sha256').update(JSON.stringify([keys, fields])).digest('hex').slice(0, 16)
  return {
    set: def.name, namespace: `${record.workspace}:${def.name}:${fp}`, keys, fields,
    ttlMs: def.ttl ? parseDuration(def.ttl, `${def.name}.ttl`) : null,
  }
}

/** Writes one batch of latest values: key columns, event times (ms) and base-feature columns in layout order. */
export async function writeOnline(store: OnlineStore, layout: OnlineLayout, keys: arrow.Data[], eventMs: BigInt64Array, values: arrow.Data[]): Promise<void> {
  const ttl = layout.ttlMs
  let expiresAt: Float64Array | null = null
  if (ttl !== null) {
    expiresAt = new Float64Array(eventMs.length)
    for (let i = 0; i < eventMs.length; i++) expiresAt[i] = Number(eventMs[i]!) + ttl
  }
  await store.write(layout.namespace, {
    keys: encodeRows(layout.keys, keys, null),
    values: encodeRows(layout.fields, values, eventMs),
    expiresAt,
  })
}

export interface OnlineRows {
  /** One Data per layout field; null where the entity is missing. */
  columns: arrow.Data[]
  /** 1 where the entity was found (and not past the ttl). */
  found: Uint8Array
  eventMs: BigInt64Array
}

/**
 * Reads the entities of the key columns (exactly the layout's key types). `skip` marks rows not to
 * look up (a related key that is itself null): they come back missing.
 */
export async function readOnline(store: OnlineStore, layout: OnlineLayout, keys: arrow.Data[], now = Date.now(), skip?: Uint8Array): Promise<OnlineRows> {
  const values = await store.read(layout.namespace, encodeRows(layout.keys, keys, null))
  if (skip) for (let i = 0; i < values.length; i++) if (skip[i]) values[i] = null
  const ttl = layout.ttlMs
  const cutoff = ttl === null ? null : BigInt(now - ttl)
  const decoded = decodeRows(layout.fields, values, cutoff === null ? undefined : (t) => t > cutoff)
  return { columns: decoded.columns, found: decoded.found, eventMs: decoded.time }
}
