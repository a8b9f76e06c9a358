import type { Table } from 'apache-arrow'
import type { ModelSchema } from '../data/schema.js'
import type { Framework, RuntimeKind } from '../records/frameworks.js'
import type { ServingMode, VersionConfig } from '../records/version-record.js'

/** What a runtime may know of a version: no store, no HTTP. */
export interface LoadableVersion {
  id: number
  name: string
  version: string
  framework: Framework
  file_name: string
  sha256: string
  input_schema: ModelSchema | null
  output_schema: ModelSchema | null
  metadata: Record<string, unknown>
  additional_files: Record<string, string>
  config: VersionConfig
}

export interface LoadContext {
  /** Local path of the main artifact (digest verified). */
  artifactPath(): Promise<string>
  /** The main artifact (a zip) extracted to a folder. */
  extractedPath(): Promise<string>
  /** Local path of an additional file by its upload name. */
  additionalFilePath(name: string): Promise<string>
  /** Progress lines for the user (upload prints them on stderr, Wallaroo-style). */
  progress(message: string): void
  signal?: AbortSignal
  /** Local path of a blob the version derived when it was converted (`config.converted`), digest verified. */
  derivedPath?(sha256: string): Promise<string>
}

/** A form of the model made while loading it (a native conversion), kept with the version so later loads skip that work. */
export interface DerivedArtifact {
  /** The format, e.g. `quiver-converted-v1`. */
  kind: string
  bytes: Uint8Array
  /** What it holds, for people. */
  summary: string
}

export interface InferOptions {
  signal?: AbortSignal
}

/**
 * A loaded model. `infer` receives a table already validated against `inputSchema` (columns in
 * schema order) and returns one whose columns are `outputSchema`, with exactly as many rows.
 */
export interface Session {
  readonly inputSchema: ModelSchema
  readonly outputSchema: ModelSchema
  /** How rows reach the model, for runtimes that decide it from the model (recorded on the version). */
  readonly serving?: ServingMode
  /** Set by a runtime that derived something worth storing with the version. */
  readonly derived?: DerivedArtifact
  infer(input: Table, opts?: InferOptions): Promise<Table>
  close(): Promise<void>
}

export type Support = { ok: true } | { ok: false; reason: string }

export interface Runtime {
  readonly name: string
  /** Which kind the version record shows when this runtime serves it. */
  readonly kind: RuntimeKind
  /** Cheap check (framework, installed modules); no model bytes are read. */
  supports(v: LoadableVersion): Support | Promise<Support>
  load(v: LoadableVersion, ctx: LoadContext): Promise<Session>
  /** Process-wide teardown: worker pools, native environments. */
  dispose?(): Promise<void>
}
