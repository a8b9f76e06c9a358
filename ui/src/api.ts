/**
 * The pages' only way to the server: `/v1` over fetch with the signed-in token, typed by the SDK's
 * own records. Errors keep the server's message and status (404 tells an absent endpoint apart).
 */
export type {
  ModelSummary, VersionRecord, PipelineRecord, PipelineStep, DeploymentRecord, FeatureSetRecord,
  FeatureSetDefinition, ModelSchema, SchemaField, FieldType, Role,
} from '../../src/client/index.js'
export type { ComparisonResult, EvaluationResult, SuiteRecord } from '../../src/api/evaluation-api.js'
export type { FetchResult, LineageGraph, MaterializeResult } from '../../src/api/feature-api.js'

const TOKEN_KEY = 'quiver.token'

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message)
  }
}

export function token(): string | null {
  return localStorage.getItem(TOKEN_KEY)
}

export function setToken(t: string | null): void {
  if (t) localStorage.setItem(TOKEN_KEY, t)
  else localStorage.removeItem(TOKEN_KEY)
}

/** Calls `/v1/...`; JSON in and out. */
export async function api<T>(path: string, init: { method?: string; body?: unknown; query?: Record<string, string | undefined> } = {}): Promise<T> {
  const url = new URL(`/v1${path}`, location.origin)
  for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, v)
  const headers: Record<string, string> = { accept: 'application/json' }
  const t = token()
  if (t) headers.authorization = `Bearer ${t}`
  if (init.body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) })
  const text = await res.text()
  const data = text ? safeJson(text) : null
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string } | string } | null)?.error
    const message = typeof err === 'string' ? err : err?.message ?? `${res.status} ${res.statusText}`
    throw new ApiError(res.status, typeof err === 'object' && err?.code ? err.code : String(res.status), message)
  }
  return data as T
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return { error: text }
  }
}

export const enc = encodeURIComponent

/** Who the token belongs to; `role: null` when the server runs without auth (everything allowed). */
export interface WhoAmI {
  auth: boolean
  workspace: string | null
  role: Role | null
  user: string | null
}

import type { Role } from '../../src/client/index.js'

export function canEdit(me: WhoAmI | null): boolean {
  return !me || me.role === null || me.role === 'editor' || me.role === 'owner'
}
