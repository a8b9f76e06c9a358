/**
 * The lineage graph around one node (`quiver lineage REF`): the recorded edges reachable upstream
 * (what it was made from) and/or downstream (what was made from it), as JSON, Graphviz DOT or
 * Mermaid. A reference matches a node of any kind whose ref equals it; a bare model name also
 * matches its versions (`name:uuid`).
 */
import { NotFound } from '../errors.js'
import type { LineageEdge } from '../store/feature-set-store.js'

export type LineageDirection = 'upstream' | 'downstream' | 'both'
export const LINEAGE_FORMATS = ['json', 'dot', 'mermaid'] as const
export type LineageFormat = (typeof LINEAGE_FORMATS)[number]

export interface LineageNode { id: string; kind: string; ref: string }
export interface LineageGraph {
  root: string[]
  nodes: LineageNode[]
  edges: { from: string; to: string; relation: string }[]
}

const nodeId = (kind: string, ref: string) => `${kind}:${ref}`

export function lineageGraph(all: readonly LineageEdge[], ref: string, direction: LineageDirection = 'both'): LineageGraph {
  const nodes = new Map<string, LineageNode>()
  for (const e of all) {
    nodes.set(nodeId(e.from_kind, e.from_ref), { id: nodeId(e.from_kind, e.from_ref), kind: e.from_kind, ref: e.from_ref })
    nodes.set(nodeId(e.to_kind, e.to_ref), { id: nodeId(e.to_kind, e.to_ref), kind: e.to_kind, ref: e.to_ref })
  }
  const roots = [...nodes.values()].filter((n) => n.ref === ref || n.id === ref || (n.kind === 'model_version' && n.ref.split(':')[0] === ref))
  if (roots.length === 0) throw new NotFound(`no lineage is recorded for '${ref}'`, { field: 'ref', got: ref })
  const keep = new Set<string>(roots.map((r) => r.id))
  const edges: LineageGraph['edges'] = []
  const seenEdge = new Set<string>()
  const walk = (down: boolean) => {
    const queue = roots.map((r) => r.id)
    const seen = new Set(queue)
    while (queue.length > 0) {
      const at = queue.shift()!
      for (const e of all) {
        const from = nodeId(e.from_kind, e.from_ref)
        const to = nodeId(e.to_kind, e.to_ref)
        if ((down ? from : to) !== at) continue
        const key = `${from}\u0000${to}\u0000${e.relation}`
        if (!seenEdge.has(key)) {
          seenEdge.add(key)
          edges.push({ from, to, relation: e.relation })
        }
        const next = down ? to : from
        keep.add(next)
        if (!seen.has(next)) {
          seen.add(next)
          queue.push(next)
        }
      }
    }
  }
  if (direction !== 'downstream') walk(false)
  if (direction !== 'upstream') walk(true)
  return { root: roots.map((r) => r.id), nodes: [...keep].map((k) => nodes.get(k)!), edges }
}

const quote = (s: string) => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`

/** The graph as DOT (`dot -Tsvg`) or Mermaid (`flowchart LR`) text; JSON as pretty text. */
export function formatLineage(g: LineageGraph, format: LineageFormat): string {
  if (format === 'json') return `${JSON.stringify(g, null, 2)}\n`
  if (format === 'dot') {
    const lines = ['digraph lineage {', '  rankdir=LR;']
    for (const n of g.nodes) lines.push(`  ${quote(n.id)} [label=${quote(`${n.ref}\n(${n.kind})`)}${g.root.includes(n.id) ? ', style=bold' : ''}];`)
    for (const e of g.edges) lines.push(`  ${quote(e.from)} -> ${quote(e.to)} [label=${quote(e.relation)}];`)
    lines.push('}')
    return `${lines.join('\n')}\n`
  }
  const ids = new Map(g.nodes.map((n, i) => [n.id, `n${i}`]))
  const label = (s: string) => s.replaceAll('"', '#quot;')
  const lines = ['flowchart LR']
  for (const n of g.nodes) lines.push(`  ${ids.get(n.id)}["${label(n.ref)}<br/><i>${n.kind}</i>"]`)
  for (const e of g.edges) lines.push(`  ${ids.get(e.from)} -->|${label(e.relation)}| ${ids.get(e.to)}`)
  return `${lines.join('\n')}\n`
}
