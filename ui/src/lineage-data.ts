/**
 * The lineage graph the page draws. From `GET /v1/lineage/{ref}` when the server has it; else put
 * together from what `/v1` lists today (pipelines' steps, feature sets' model inputs and outputs),
 * so the page shows the relations the registry already records.
 */
import { api, ApiError, enc, type FeatureSetRecord, type ModelSummary, type PipelineRecord } from './api.js'

export interface LineageNode {
  id: string
  kind: string
  label: string
}

export interface LineageEdge {
  from: string
  to: string
  kind?: string
}

export interface Lineage {
  nodes: LineageNode[]
  edges: LineageEdge[]
  /** Where the graph came from: the lineage endpoint, or the lists. */
  source: 'lineage' | 'lists'
}

const modelName = (ref: string) => ref.split('/').pop()!.split(/[@:#]/)[0]!

export function nodeIdOf(ref: string): string {
  return /^[a-z-]+:/.test(ref) && !/^[a-z0-9-]+:[0-9a-f-]{36}$/.test(ref) ? ref : `model:${modelName(ref)}`
}

export async function loadLineage(ref: string | undefined): Promise<Lineage> {
  if (ref && !ref.includes(':')) {
    try {
      return fromEndpoint(await api<unknown>(`/lineage/${enc(ref)}`))
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404 && /no route/.test(e.message))) throw e
    }
  }
  return fromLists()
}

/** Accepts `{nodes: [{id, kind|type, label|name}], edges: [{from|source, to|target, kind|type}]}`. */
function fromEndpoint(raw: unknown): Lineage {
  const r = raw as { nodes?: Record<string, unknown>[]; edges?: Record<string, unknown>[] }
  const nodes = (r.nodes ?? []).map((n) => ({ id: String(n.id), kind: String(n.kind ?? n.type ?? 'node'), label: String(n.label ?? n.name ?? n.id) }))
  const edges = (r.edges ?? []).map((e) => ({ from: String(e.from ?? e.source), to: String(e.to ?? e.target), kind: e.kind === undefined && e.type === undefined ? undefined : String(e.kind ?? e.type) }))
  return { nodes, edges, source: 'lineage' }
}

async function fromLists(): Promise<Lineage> {
  const absentOk = <T>(p: Promise<T[]>) => p.catch((e) => (e instanceof ApiError && e.status === 404 ? [] as T[] : Promise.reject(e)))
  const [models, pipelines, sets] = await Promise.all([
    api<ModelSummary[]>('/models'),
    absentOk(api<PipelineRecord[]>('/pipelines')),
    absentOk(api<FeatureSetRecord[]>('/features')),
  ])
  const nodes = new Map<string, LineageNode>()
  const edges: LineageEdge[] = []
  const node = (id: string, kind: string, label: string) => nodes.has(id) || nodes.set(id, { id, kind, label })
  for (const m of models) node(`model:${m.name}`, 'model', m.name)
  for (const p of pipelines) {
    const id = `pipeline:${p.name}`
    node(id, 'pipeline', p.name)
    for (const s of p.steps) {
      node(`model:${modelName(s.ref)}`, 'model', modelName(s.ref))
      edges.push({ from: `model:${modelName(s.ref)}`, to: id, kind: 'step' })
    }
  }
  for (const s of sets) {
    const setId = `featureset:${s.name}`
    node(setId, 'feature set', s.name)
    for (const f of s.definition.features) {
      if (!f.inference) continue
      const fid = `feature:${s.name}.${f.name}`
      const mid = `model:${modelName(f.inference.model)}`
      node(fid, 'feature', `${s.name}.${f.name}`)
      node(mid, 'model', modelName(f.inference.model))
      edges.push({ from: mid, to: fid, kind: 'inference' })
      edges.push({ from: fid, to: setId, kind: 'feature of' })
      const ins = Array.isArray(f.inference.inputs) ? f.inference.inputs : Object.values(f.inference.inputs).flat()
      for (const x of ins) {
        if (typeof x !== 'string') continue
        const [set, feat] = x.includes('.') ? x.split('.', 2) as [string, string] : [s.name, x]
        const inId = `feature:${set}.${feat}`
        node(inId, 'feature', `${set}.${feat}`)
        edges.push({ from: inId, to: mid, kind: 'input' })
      }
    }
  }
  return { nodes: [...nodes.values()], edges, source: 'lists' }
}

/** Nodes reachable from `start` following edges forwards (downstream) or backwards (upstream). */
export function reachable(l: Lineage, start: string, direction: 'upstream' | 'downstream'): Set<string> {
  const seen = new Set([start])
  const todo = [start]
  while (todo.length) {
    const at = todo.pop()!
    for (const e of l.edges) {
      const next = direction === 'downstream' ? (e.from === at ? e.to : null) : (e.to === at ? e.from : null)
      if (next && !seen.has(next)) {
        seen.add(next)
        todo.push(next)
      }
    }
  }
  return seen
}
