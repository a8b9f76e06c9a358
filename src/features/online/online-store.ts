/**
 * The online store: the latest feature values of each entity, as binary values under binary keys
 * grouped in namespaces (one per feature set and stored layout). Two implementations share this
 * interface and one behaviour suite: embedded (in process, kept in a file per namespace) and Redis.
 */

/** Rows encoded back to back in one buffer: row `i` is `bytes[ends[i-1] ?? 0, ends[i])`. */
export interface EncodedRows {
  bytes: Buffer
  ends: Uint32Array
}

export interface OnlineWrite {
  keys: EncodedRows
  values: EncodedRows
  /** Per row, when the value stops counting (ms since the epoch); 0 = never. Null: none expire. */
  expiresAt: Float64Array | null
}

export interface OnlineStore {
  readonly kind: 'embedded' | 'redis'
  /** Stores each row's value under its key, replacing what was there. */
  write(namespace: string, batch: OnlineWrite): Promise<void>
  /** Makes every write so far durable (the embedded store writes its files; Redis has them already). */
  flush(): Promise<void>
  /** Values for the keys, in order; null where a key has none (or it expired). */
  read(namespace: string, keys: EncodedRows): Promise<(Buffer | null)[]>
  close(): Promise<void>
}

/** Row `i` of encoded rows, without copying. */
export function rowAt(rows: EncodedRows, i: number): Buffer {
  return rows.bytes.subarray(i === 0 ? 0 : rows.ends[i - 1]!, rows.ends[i]!)
}
