/**
 * The workspace and model a request is counted and logged under. Both come from the registry, not
 * from the request: a name that is not a model of the workspace is `(unknown)`, so requests for
 * made-up names cannot grow the metrics without bound, and a name from another workspace never
 * appears beside the caller's.
 */
import { parseRef } from '../registry/refs.js'
import { DEFAULT_WORKSPACE } from '../registry/registry.js'

export const UNKNOWN_LABEL = '(unknown)'

export interface RequestLabels {
  /** '' when the request is about no workspace (a refused token, a server-wide route). */
  workspace: string
  /** '' when the request names no model. */
  model: string
}

export interface LabelRequest {
  /** The authenticated caller's workspace; the request cannot reach another. */
  principalWorkspace?: string
  /** `?workspace=` or the workspace header, when no token decides it. */
  requestedWorkspace?: string
  /** The model reference the request named (`name`, `ws/name@tag`, …). */
  ref?: string
}

interface Entry {
  names: Promise<ReadonlySet<string>>
  expires: number
}

/**
 * Model names per workspace, read through `list` and kept for `ttlMs` (a model uploaded by another
 * replica is counted by name after at most that long). At most `maxWorkspaces` are kept.
 */
export class KnownModels {
  readonly #list: (workspace: string) => Promise<readonly string[]>
  readonly #ttlMs: number
  readonly #max: number
  readonly #entries = new Map<string, Entry>()

  constructor(list: (workspace: string) => Promise<readonly string[]>, opts: { ttlMs?: number; maxWorkspaces?: number } = {}) {
    this.#list = list
    this.#ttlMs = opts.ttlMs ?? 2000
    this.#max = opts.maxWorkspaces ?? 256
  }

  names(workspace: string): Promise<ReadonlySet<string>> {
    const now = performance.now()
    const hit = this.#entries.get(workspace)
    if (hit && hit.expires > now) return hit.names
    // An unknown or invalid workspace lists nothing.
    const names = this.#list(workspace).then((xs) => new Set(xs), () => new Set<string>())
    this.#entries.delete(workspace)
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value!)
    this.#entries.set(workspace, { names, expires: now + this.#ttlMs })
    return names
  }

  /** After this process added a model to the workspace. */
  forget(workspace: string): void {
    this.#entries.delete(workspace)
  }

  async labels(req: LabelRequest): Promise<RequestLabels> {
    let parsed: { workspace: string | null; name: string } | null = null
    if (req.ref !== undefined) {
      try {
        parsed = parseRef(req.ref)
      } catch {
        parsed = null
      }
    }
    const named = req.ref !== undefined
    if (req.principalWorkspace !== undefined) {
      const ws = req.principalWorkspace
      if (!named) return { workspace: ws, model: '' }
      const mine = parsed !== null && (parsed.workspace === null || parsed.workspace === ws) && (await this.names(ws)).has(parsed.name)
      return { workspace: ws, model: mine ? parsed!.name : UNKNOWN_LABEL }
    }
    // No token: the workspace is whatever the request asked for, so it too must exist to be named.
    const ws = parsed?.workspace ?? req.requestedWorkspace ?? DEFAULT_WORKSPACE
    const names = await this.names(ws)
    const wsLabel = ws === DEFAULT_WORKSPACE || names.size > 0 ? ws : UNKNOWN_LABEL
    if (!named) return { workspace: wsLabel, model: '' }
    return { workspace: wsLabel, model: parsed !== null && names.has(parsed.name) ? parsed.name : UNKNOWN_LABEL }
  }
}
