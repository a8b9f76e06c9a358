/**
 * Versioned test suites: samples with their ground truth, read from a table file through the data
 * layer and kept as one Arrow IPC blob in the artifact store, plus the label column, the feature
 * columns packed into a model's single list input, and the named cases. Creating a suite with
 * unchanged contents is a no-op; anything else is a new version.
 */
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import * as arrow from 'apache-arrow'
import type { ArtifactStore } from '../artifacts/artifact-store.js'
import type { InferInput } from '../data/infer-input.js'
import type { ModelSchema } from '../data/schema.js'
import { InvalidInput, NotFound } from '../errors.js'
import { assertValidName } from '../registry/names.js'
import type { StoredSuite, SuiteStore } from '../store/suite-store.js'
import { compileCases } from './cases.js'
import type { CaseDefinition, SuiteDefinition, SuiteRecord } from './results.js'

export type { SuiteRecord } from './results.js'
import { readSampleInput } from './sample-table.js'

export type { SuiteDefinition } from './results.js'

export interface CreateSuite {
  name: string
  workspace: string
  input: InferInput
  fileName: string
  label: string
  features?: string[] | null
  cases?: CaseDefinition[]
}

export interface LoadedSuite { record: SuiteRecord; id: number; table: arrow.Table }

export class Suites {
  constructor(private readonly store: SuiteStore, private readonly artifacts: ArtifactStore) {}

  async create(req: CreateSuite): Promise<SuiteRecord & { created: boolean }> {
    assertValidName(req.name, 'suite')
    const { table, schema } = await readSampleInput(req.input, req.fileName)
    const names = schema.map((f) => f.name)
    const columns = names.join(', ')
    if (!names.includes(req.label)) {
      throw new InvalidInput(`label column '${req.label}' is not in ${req.fileName}; its columns are ${columns}`, { field: 'label', expected: columns, got: req.label })
    }
    const features = req.features && req.features.length > 0 ? req.features : null
    for (const f of features ?? []) {
      const field = schema.find((s) => s.name === f)
      if (!field) throw new InvalidInput(`feature column '${f}' is not in ${req.fileName}; its columns are ${columns}`, { field: 'features', expected: columns, got: f })
      if (typeof field.type !== 'string' || !/^(u?int|float)\d+$/.test(field.type)) {
        throw new InvalidInput(`feature column '${f}' holds ${JSON.stringify(field.type)}; features packed into a list input must be numbers`, { field: f, expected: 'numbers', got: JSON.stringify(field.type) })
      }
      if (f === req.label) throw new InvalidInput(`column '${f}' cannot be both the label and a feature`, { field: 'features', got: f })
    }
    const cases = req.cases ?? []
    compileCases(cases, schema)
    const bytes = arrow.tableToIPC(table, 'stream')
    const blob = await this.artifacts.put(Readable.from([bytes]))
    const definition: SuiteDefinition = { label: req.label, features, cases, schema, rows: table.numRows, file_name: req.fileName }
    const digest = createHash('sha256').update(JSON.stringify({ blob: blob.sha256, label: req.label, features, cases })).digest('hex')
    const { record, created } = await this.store.putSuite({ workspace: req.workspace, name: req.name, digest, blob_sha256: blob.sha256, definition })
    return { ...toRecord(record), created }
  }

  async list(workspace: string): Promise<SuiteRecord[]> {
    return (await this.store.listSuites(workspace)).map(toRecord)
  }

  /** `name` (newest version) or `name#N`. */
  async show(ref: string, workspace: string): Promise<SuiteRecord> {
    return toRecord(await this.#stored(ref, workspace))
  }

  async load(ref: string, workspace: string): Promise<LoadedSuite> {
    const stored = await this.#stored(ref, workspace)
    const chunks: Buffer[] = []
    for await (const c of await this.artifacts.open(stored.blob_sha256)) chunks.push(Buffer.from(c as Uint8Array))
    return { record: toRecord(stored), id: stored.id, table: arrow.tableFromIPC(Buffer.concat(chunks)) }
  }

  async #stored(ref: string, workspace: string): Promise<StoredSuite> {
    const m = /^([^#]+)(?:#(\d+))?$/.exec(ref)
    if (!m) throw new InvalidInput(`suite reference ${JSON.stringify(ref)} is not NAME or NAME#VERSION`, { field: 'suite', got: ref })
    const [, name, version] = m
    const stored = await this.store.getSuite(workspace, name!, version === undefined ? undefined : Number(version))
    if (!stored) {
      throw new NotFound(version === undefined
        ? `test suite '${name}' does not exist in workspace '${workspace}'; create it with quiver suite create`
        : `test suite '${name}' has no version ${version}`, { suite: ref })
    }
    return stored
  }
}

function toRecord(s: StoredSuite): SuiteRecord {
  const d = s.definition as SuiteDefinition
  return {
    workspace: s.workspace, name: s.name, version: s.version, ref: `${s.name}#${s.version}`, digest: s.digest,
    blob_sha256: s.blob_sha256, label: d.label, features: d.features, cases: d.cases, schema: d.schema, rows: d.rows,
    file_name: d.file_name, created_at: s.created_at,
  }
}
