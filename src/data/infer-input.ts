import type { Table } from 'apache-arrow'

/** Raw inference input in one of SPEC §4's forms; parsed against a model's input schema. */
export type InferInput =
  | { kind: 'table'; table: Table }
  | { kind: 'json'; value: unknown }
  | { kind: 'arrow'; bytes: Uint8Array }
  | { kind: 'parquet'; bytes: Uint8Array }
  | { kind: 'csv'; text: string }
