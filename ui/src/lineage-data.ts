/**
 * The lineage graph the page draws. From `GET /v1/lineage/{ref}` (the recorded edges: sources,
 * feature sets, features, model versions, training sets) with the pipelines whose steps resolve to
 * its model versions added; else, where the server has no lineage endpoint or nothing is recorded
 * for the reference, put together from what `/v1` lists (pipelines' steps, feature sets' model
 * inputs and outputs).
 */
import { api, ApiError, enc, type FeatureSetRecord, type LineageGraph, type ModelSummary, type PipelineRecord, type VersionRecord } from './api.js'

export interface LineageNode {
  id: string
  kind: string
  label: string
  /** What to open the lineage page on when the node is followed. */
  ref: string
}

export interface LineageEdge {
  from: string
  to: string
  kind?: string
}

export interface Lineage {
  nodes: LineageNode[]
  edges: LineageEdge[]
  /** The nodes the reference names. */
  root: string[]
  /** Where the graph came from: the recorded lineage, or the lists. */
  source: 'lineage' | 'lists'
  note?: string
}

const modelName = (ref: string) => ref.split('/').pop()!.split(/[@:#]/)[0]!

/** `GET /v1/lineage/{ref}`: `{root, nodes: [{id, kind, ref}], edges: [{from, to, relation}]}`. */
type RecordedLineage = LineageGraph

const absent = (e: unknown) => e instanceof ApiError && e.status === 404

export async function loadLineage(ref: string | undefined): Promise<Lineage> {
  let note: string | undefined
  if (ref && !ref.startsWith('pipeline:')) {
    try {
      return await withPipelines(await api<RecordedLineage>(`/lineage/${enc(ref)}`))
    } catch (e) {
      if (!absent(e)) throw e
      if (!/no route/.test((e as Error).message)) note = (e as Error).message
    }
  }
  const g = await fromLists()
  const id = !ref ? undefined : ref.startsWith('pipeline:') ? ref : `model:${modelName(ref)}`
  return { ...g, root: id && g.nodes.some((n) => n.id === id) ? [id] : [], note }
}

function shortRef(kind: string, ref: string): string {
  if (kind === 'model_version') {
    const [name, uuid] = ref.split(':')
    return uuid ? `${name}:${uuid.slice(0, 8)}` : ref
  }
  return ref.startsWith('sql:') ? 'SQL query' : ref.split('/').slice(-2).join('/')
}

/** The recorded graph, plus each pipeline whose step resolves to one of its model versions. */
async function withPipelines(r: RecordedLineage): Promise<Lineage> {
  const nodes: LineageNode[] = r.nodes.map((n) => ({ id: n.id, kind: n.kind.replaceAll('_', ' '), label: shortRef(n.kind, n.ref), ref: n.ref }))
  const edges: LineageEdge[] = r.edges.map((e) => ({ from: e.from, to: e.to, kind: e.relation.replaceAll('_', ' ') }))
  const versions = new Set(r.nodes.filter((n) => n.kind === 'model_version').map((n) => n.ref))
  const names = new Set([...versions].map((v) => v.split(':')[0]!))
  const pipelines = await api<PipelineRecord[]>('/pipelines').catch(() => [] as PipelineRecord[])
  for (const p of pipelines) {
    for (const s of p.steps) {
      if (!names.has(modelName(s.ref))) continue
      const v = await api<VersionRecord>(`/models/${enc(s.ref)}`).catch(() => null)
      if (!v || !versions.has(`${v.name}:${v.version}`)) continue
      const id = `pipeline:${p.name}`
      if (!nodes.some((n) => n.id === id)) nodes.push({ id, kind: 'pipeline', label: p.name, ref: id })
      edges.push({ from: `model_version:${v.name}:${v.version}`, to: id, kind: 'step of' })
    }
  }
  return { nodes, edges, root: r.root, source: 'lineage' }
}

async function fromLists(): Promise<Omit<Lineage, 'root'>> {
  const absentOk = <T>(p: Promise<T[]>) => p.catch((e) => (absent(e) ? [] as T[] : Promise.reject(e)))
  const [models, pipelines, sets] = await Promise.all([
    api<ModelSummary[]>('/models'),
    absentOk(api<PipelineRecord[]>('/pipelines')),
    absentOk(api<FeatureSetRecord[]>('/features')),
  ])
  const nodes = new Map<string, LineageNode>()
  const edges: LineageEdge[] = []
  const node = (id: string, kind: string, label: string, ref = id) => nodes.has(id) || nodes.set(id, { id, kind, label, ref })
  const model = (name: string) => node(`model:${name}`, 'model', name, name)
  for (const m of models) model(m.name)
  for (const p of pipelines) {
    const id = `pipeline:${p.name}`
    node(id, 'pipeline', p.name)
    for (const s of p.steps) {
      model(modelName(s.ref))
      edges.push({ from: `model:${modelName(s.ref)}`, to: id, kind: 'step of' })
    }
  }
  for (const s of sets) {
    const setId = `featureset:${s.name}`
    node(setId, 'feature set', s.name, s.name)
    for (const f of s.definition.features) {
      if (!f.inference) continue
      const fid = `feature:${s.name}.${f.name}`
      node(fid, 'feature', `${s.name}.${f.name}`, `${s.name}.${f.name}`)
      model(modelName(f.inference.model))
      edges.push({ from: `model:${modelName(f.inference.model)}`, to: fid, kind: 'computes' })
      edges.push({ from: setId, to: fid, kind: 'has feature' })
      const ins = Array.isArray(f.inference.inputs) ? f.inference.inputs : Object.values(f.inference.inputs).flat()
      for (const x of ins) {
        if (typeof x !== 'string') continue
        const name = x.includes('.') ? x : `${s.name}.${x}`
        node(`feature:${name}`, 'feature', name, name)
        edges.push({ from: `feature:${name}`, to: fid, kind: 'input of' })
      }
    }
  }
  return { nodes: [...nodes.values()], edges, source: 'lists' }
}

/** Nodes reachable from `start` following edges forwards (downstream) or backwards (upstream). */
export function reachable(l: Lineage, start: readonly string[], direction: 'upstream' | 'downstream'): Set<string> {
  const seen = new Set(start)
  const todo = [...start]
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
