import type { ModelSchema } from '../data/schema.js'
import type { Arch, Framework, RuntimeKind, VersionStatus } from '../records/frameworks.js'
import type { ModelSummary, VersionConfig, VersionRecord } from '../records/version-record.js'

/** A `versions` row joined with its model, workspace and tags, as both drivers return it. */
export interface VersionRow {
  id: number | string
  version: string
  seq: number | string
  name: string
  workspace: string
  file_name: string
  sha256: string
  size_bytes: number | string
  framework: string
  runtime: string
  status: string
  error_message: string | null
  input_schema: unknown
  output_schema: unknown
  arch: string
  accel: string
  image_path: string | null
  description: string | null
  metadata: unknown
  tags: unknown
  additional_files: unknown
  config: unknown
  created_at: Date | string
  last_update_time: Date | string
}

export interface ModelSummaryRow {
  name: string
  workspace: string
  versions: number | string
  latest_seq: number | string | null
  latest_version: string | null
  framework: string
  tags: unknown
  created_at: Date | string
  updated_at: Date | string
}

export function toVersionRecord(row: VersionRow): VersionRecord {
  return {
    id: Number(row.id),
    version: row.version,
    seq: Number(row.seq),
    name: row.name,
    workspace: row.workspace,
    file_name: row.file_name,
    sha256: row.sha256,
    size_bytes: Number(row.size_bytes),
    framework: row.framework as Framework,
    runtime: row.runtime as RuntimeKind,
    status: row.status as VersionStatus,
    error_message: row.error_message,
    input_schema: (row.input_schema ?? null) as ModelSchema | null,
    output_schema: (row.output_schema ?? null) as ModelSchema | null,
    arch: row.arch as Arch,
    accel: row.accel,
    image_path: row.image_path,
    description: row.description,
    metadata: (row.metadata ?? {}) as Record<string, unknown>,
    tags: (row.tags ?? []) as string[],
    additional_files: (row.additional_files ?? {}) as Record<string, string>,
    config: (row.config ?? {}) as VersionConfig,
    created_at: isoTime(row.created_at),
    last_update_time: isoTime(row.last_update_time),
  }
}

export function toModelSummary(row: ModelSummaryRow): ModelSummary {
  return {
    name: row.name,
    workspace: row.workspace,
    versions: Number(row.versions),
    latest_seq: row.latest_seq === null ? null : Number(row.latest_seq),
    latest_version: row.latest_version,
    framework: row.framework as Framework,
    tags: (row.tags ?? []) as string[],
    created_at: isoTime(row.created_at),
    last_update_time: isoTime(row.updated_at),
  }
}

/** ISO-8601 UTC with milliseconds, whatever form the driver returned the timestamptz in. */
export function isoTime(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString()
}

/** jsonb parameter: SQL NULL for null, JSON text otherwise (pg would turn arrays into SQL arrays). */
export function jsonParam(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value)
}
