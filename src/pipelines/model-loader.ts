import { errorMessage, isQuiverError, Unsupported } from '../errors.js'
import type { ArtifactStore } from '../artifacts/artifact-store.js'
import type { RuntimeKind } from '../records/frameworks.js'
import { runtimeNamesFor, type Runtimes } from '../runtimes/runtime-table.js'
import type { LoadableVersion, LoadContext, Session } from '../runtimes/runtime.js'
import { InvalidInput } from '../errors.js'

export interface LoadedModel {
  session: Session
  runtimeName: string
  kind: RuntimeKind
  /** Which runtime serves the version and why the ones before it did not. */
  detail: string
}

export function loadContextFor(v: LoadableVersion, artifacts: ArtifactStore, progress: (m: string) => void): LoadContext {
  return {
    artifactPath: () => artifacts.localPath(v.sha256),
    extractedPath: () => artifacts.extractedPath(v.sha256),
    additionalFilePath: async (name) => {
      const sha = v.additional_files[name]
      if (!sha) throw new InvalidInput(`${v.name} has no additional file '${name}'`, { field: 'additional_files', got: name })
      return artifacts.localPath(sha)
    },
    derivedPath: (sha256) => artifacts.localPath(sha256),
    progress,
  }
}

/**
 * Tries the framework's runtimes in table order. A runtime that does not support the version, or
 * fails where a later one may succeed, is passed over and the reason kept; the last failure is
 * thrown when none serves it.
 */
export async function loadModel(v: LoadableVersion, runtimes: Runtimes, ctx: LoadContext): Promise<LoadedModel> {
  const names = runtimeNamesFor(v.framework)
  if (names.length === 0) {
    throw new Unsupported(`framework '${v.framework}' cannot run on this installation: no runtime for it is installed`)
  }
  const passedOver: string[] = []
  let lastFailure: unknown
  for (const [i, name] of names.entries()) {
    const runtime = await runtimes.get(name)
    const support = await runtime.supports(v)
    if (!support.ok) {
      passedOver.push(`${name}: ${support.reason}`)
      ctx.progress(`${name} runtime: incompatible (${support.reason})`)
      continue
    }
    ctx.progress(runtime.kind === 'native' ? `pending loading to a native runtime (${name})` : `pending loading to a container runtime (${name})`)
    try {
      const session = await runtime.load(v, ctx)
      ctx.progress(runtime.kind === 'native' ? `native runtime ${name}: ready` : `container runtime ${name}: successful`)
      const detail = passedOver.length ? `${name} (after ${passedOver.join('; ')})` : name
      return { session, runtimeName: name, kind: runtime.kind, detail }
    } catch (err) {
      lastFailure = err
      passedOver.push(`${name}: ${errorMessage(err)}`)
      if (i < names.length - 1) ctx.progress(`${name} runtime: incompatible (${errorMessage(err)})`)
    }
  }
  if (lastFailure !== undefined && !(isQuiverError(lastFailure) && lastFailure.code === 'unsupported')) throw lastFailure
  // A runtime that read the model and refused it names the model's problem, not the installation's.
  const where = lastFailure !== undefined ? 'cannot be served' : 'cannot run on this installation'
  throw new Unsupported(`${v.name} (${v.framework}) ${where}: ${passedOver.join('; ')}`)
}
