import { randomUUID } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import type { ArtifactStore, BlobRef } from '../artifacts/artifact-store.js'
import { parseSchema, type ModelSchema } from '../data/schema.js'
import { inputLimits, limitExceeded } from '../data/input-limits.js'
import { errorMessage, InvalidInput, isQuiverError, QuiverError } from '../errors.js'
import { ARCHES, FRAMEWORKS, isFramework, type Arch } from '../records/frameworks.js'
import { assertValidName, assertValidTag } from '../registry/names.js'
import { DEFAULT_WORKSPACE, type Registry } from '../registry/registry.js'
import type { ConvertedArtifact, VersionConfig, VersionRecord } from '../records/version-record.js'
import type { Session } from '../runtimes/runtime.js'
import type { SessionCache } from '../pipelines/session-cache.js'
import { checkModelFormat } from '../runtimes/model-format.js'
import { frameworkFacts, type Runtimes } from '../runtimes/runtime-table.js'
import { loadContextFor, loadModel } from '../pipelines/model-loader.js'
import type { SqlConversionClaims } from '../store/sql-conversion-claims.js'
import { HEARTBEAT_MS } from './interrupted-conversions.js'
import { ownerOf } from './process-owner.js'
import type { UploadRequest, UploadSource } from './quiver-api.js'

export interface UploadDeps {
  registry: Registry
  artifacts: ArtifactStore
  runtimes: Runtimes
  sessions: SessionCache
  /** Records which process owns each unfinished version, so that a dead owner's can be failed. */
  claims?: SqlConversionClaims
  /** Converts later, for `noWait` (in this process, or in a detached one). */
  convertLater(version: VersionRecord, tags: readonly string[], progress: (m: string) => void): void
}

/**
 * Registers a new version: checks the request, stores the blobs, creates the version as
 * `pending_conversion`, then converts it (now, or in the background with `noWait`). A file that
 * cannot be loaded leaves nothing behind; a framework this installation cannot run is kept with
 * status `error` (SPEC §2).
 */
export async function uploadModel(deps: UploadDeps, req: UploadRequest): Promise<VersionRecord> {
  const checked = checkRequest(req)
  const progress = req.onProgress ?? (() => {})
  const stored: BlobRef[] = []
  let version: VersionRecord | undefined
  try {
    const main = await putSource(deps.artifacts, req.source, 'model file')
    stored.push(main)
    await checkModelFormat(await deps.artifacts.localPath(main.sha256), sourceName(req.source), req.framework)
    const additional: Record<string, string> = {}
    for (const [name, source] of Object.entries(req.additionalFiles ?? {})) {
      const blob = await putSource(deps.artifacts, source, `additional file '${name}'`)
      stored.push(blob)
      additional[name] = blob.sha256
    }
    const facts = frameworkFacts(req.framework)
    const config: VersionConfig = { archive: facts.artifact === 'archive' }
    if (req.tensorFields?.length) config.tensor_fields = req.tensorFields
    if (req.trust) config.trusted = true
    version = await deps.registry.createVersion({
      workspace: checked.workspace,
      name: req.name,
      version: randomUUID(),
      file_name: sourceName(req.source),
      sha256: main.sha256,
      size_bytes: main.size,
      framework: req.framework,
      runtime: facts.kind,
      status: 'pending_conversion',
      input_schema: checked.inputSchema,
      output_schema: checked.outputSchema,
      arch: checked.arch,
      accel: req.accel ?? 'none',
      image_path: null,
      description: req.description ?? null,
      metadata: req.metadata ?? {},
      additional_files: additional,
      config,
    })
    await deps.claims?.claim(version.id, ownerOf())
    progress(`stored ${version.file_name} (${main.size} bytes, sha256 ${main.sha256.slice(0, 12)}…) as ${version.name}#${version.seq}`)
  } catch (err) {
    if (version) await deps.registry.deleteVersion(version.id).catch(() => {})
    await forgetBlobs(deps, stored)
    throw err
  }
  if (req.noWait) {
    deps.convertLater(version, req.tags ?? [], progress)
    return version
  }
  try {
    return await convertVersion(deps, version, req.tags ?? [], progress)
  } catch (err) {
    // The file itself is bad: take the version and its blobs back out, as if never uploaded.
    await deps.registry.deleteVersion(version.id).catch(() => {})
    await forgetBlobs(deps, stored)
    if (isQuiverError(err) && err.code === 'invalid_input') throw err
    throw new InvalidInput(`${version.file_name} could not be loaded as a ${req.framework} model: ${errorMessage(err)}`, {
      field: 'file',
      got: version.file_name,
    }, { cause: err })
  }
}

/**
 * pending_conversion → converting → ready (or error). Throws for a file that cannot be loaded; a
 * framework this installation cannot run ends in status `error` and is returned.
 */
export async function convertVersion(
  deps: UploadDeps,
  version: VersionRecord,
  tags: readonly string[],
  progress: (m: string) => void,
): Promise<VersionRecord> {
  const claims = deps.claims
  if (!claims) return convertClaimed(deps, version, tags, progress)
  const owner = ownerOf()
  await claims.claim(version.id, owner)
  const beat = setInterval(() => void claims.heartbeat(version.id, owner.pid).catch(() => {}), HEARTBEAT_MS)
  beat.unref()
  try {
    return await convertClaimed(deps, version, tags, progress)
  } finally {
    clearInterval(beat)
    await claims.release(version.id).catch(() => {})
  }
}

async function convertClaimed(
  deps: UploadDeps,
  version: VersionRecord,
  tags: readonly string[],
  progress: (m: string) => void,
): Promise<VersionRecord> {
  let v = await deps.registry.moveStatus(version, 'converting')
  let loaded
  try {
    loaded = await loadModel(v, deps.runtimes, loadContextFor(v, deps.artifacts, progress))
  } catch (err) {
    const unsupported = isQuiverError(err) && err.code === 'unsupported'
    v = await deps.registry.moveStatus(v, 'error', { error_message: errorMessage(err) })
    progress(`status error: ${errorMessage(err)}`)
    if (unsupported) return v
    throw err
  }
  const converted = await storeDerived(deps, loaded.session, progress)
  try {
    v = await deps.registry.moveStatus(v, 'ready', {
      runtime: loaded.kind,
      input_schema: v.input_schema ?? loaded.session.inputSchema,
      output_schema: v.output_schema ?? loaded.session.outputSchema,
      config: {
        ...v.config,
        runtime_detail: loaded.detail,
        ...(loaded.session.serving ? { serving: loaded.session.serving } : {}),
        ...(converted ? { converted } : {}),
      },
    })
  } catch (err) {
    if (converted) await forgetBlobs(deps, [{ sha256: converted.sha256, size: converted.size_bytes }])
    throw err
  }
  deps.sessions.set(v.id, loaded.session)
  for (const tag of tags) await deps.registry.setTagById(v.id, tag)
  const serving = loaded.session.serving
  if (serving?.mode === 'tensor') progress(`served as a tensor model, one call per row with whole tensors: ${serving.reason}`)
  progress(`${v.name}#${v.seq} ready (${loaded.kind} runtime: ${loaded.detail})`)
  return tags.length ? deps.registry.byId(v.id) : v
}

/** Stores what the runtime derived (a native conversion) as a content-addressed blob of the version. */
async function storeDerived(deps: UploadDeps, session: Session, progress: (m: string) => void): Promise<ConvertedArtifact | undefined> {
  const derived = session.derived
  if (!derived) return undefined
  const blob = await deps.artifacts.put((async function* () { yield derived.bytes })())
  progress(`stored the ${derived.summary} (${blob.size} bytes, sha256 ${blob.sha256.slice(0, 12)}…) so later loads need no Python`)
  return { sha256: blob.sha256, kind: derived.kind, size_bytes: blob.size, summary: derived.summary }
}

interface CheckedRequest {
  workspace: string
  inputSchema: ModelSchema | null
  outputSchema: ModelSchema | null
  arch: Arch
}

function checkRequest(req: UploadRequest): CheckedRequest {
  assertValidName(req.name, 'model')
  const workspace = req.workspace ?? DEFAULT_WORKSPACE
  assertValidName(workspace, 'workspace')
  if (!isFramework(req.framework)) {
    throw new InvalidInput(`unknown framework '${req.framework}'; known frameworks: ${FRAMEWORKS.join(', ')}, hugging-face-<task>`, {
      field: 'framework',
      got: String(req.framework),
    })
  }
  const inputSchema = req.inputSchema ? parseSchema(req.inputSchema, 'input schema') : null
  const outputSchema = req.outputSchema ? parseSchema(req.outputSchema, 'output schema') : null
  if (frameworkFacts(req.framework).schemas === 'given') {
    for (const [schema, which] of [[inputSchema, 'input'], [outputSchema, 'output']] as const) {
      if (!schema) {
        throw new InvalidInput(`framework '${req.framework}' needs an ${which} schema (--${which}-schema FILE); only onnx and tensorflow models describe their own`, {
          field: `${which}_schema`,
        })
      }
    }
  }
  for (const tag of req.tags ?? []) assertValidTag(tag)
  const arch = req.arch ?? 'x86'
  if (!(ARCHES as readonly string[]).includes(arch)) {
    throw new InvalidInput(`unknown arch '${arch}'; expected one of ${ARCHES.join(', ')}`, { field: 'arch', got: arch })
  }
  for (const [key, value] of Object.entries(req.metadata ?? {})) {
    if (value === undefined) throw new InvalidInput(`metadata key '${key}' has no value`, { field: 'metadata' })
  }
  checkFieldSizes(req)
  return { workspace, inputSchema, outputSchema, arch }
}

/** Text fields are stored whole or refused: none may pass QUIVER_MAX_FIELD_BYTES. */
function checkFieldSizes(req: UploadRequest): void {
  const max = inputLimits().maxFieldBytes
  const fields: [string, unknown, boolean][] = [
    ['description', req.description, false], ['metadata', req.metadata, true],
    ['input_schema', req.inputSchema, true], ['output_schema', req.outputSchema, true],
  ]
  for (const [field, value, json] of fields) {
    if (value === undefined || value === null) continue
    let text: string
    try {
      text = json ? JSON.stringify(value) : String(value)
    } catch (err) {
      throw new InvalidInput(`field '${field}' cannot be stored as JSON: ${errorMessage(err)}`, { field })
    }
    const bytes = Buffer.byteLength(text, 'utf8')
    if (bytes > max) throw limitExceeded(`field '${field}'`, 'maxFieldBytes', max, bytes)
  }
}

function sourceName(source: UploadSource): string {
  return 'path' in source ? basename(source.path) : source.fileName
}

async function putSource(artifacts: ArtifactStore, source: UploadSource, what: string): Promise<BlobRef> {
  if ('stream' in source) return artifacts.put(source.stream)
  const info = await stat(source.path).catch(() => null)
  if (!info) throw new InvalidInput(`${what} ${source.path} does not exist`, { field: 'file', got: source.path })
  if (!info.isFile()) throw new InvalidInput(`${what} ${source.path} is not a regular file`, { field: 'file', got: source.path })
  return artifacts.putFile(source.path)
}

/** Deletes blobs no version references any more (a failed upload's own, never another's). */
async function forgetBlobs(deps: UploadDeps, blobs: BlobRef[]): Promise<void> {
  for (const b of blobs) {
    try {
      if ((await deps.registry.blobReferences(b.sha256)) === 0) await deps.artifacts.delete(b.sha256)
    } catch (err) {
      if (!(err instanceof QuiverError)) throw err
    }
  }
}
