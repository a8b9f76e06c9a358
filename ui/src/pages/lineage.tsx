/** Lineage as a drawn graph: laid out by dagre, pan by dragging or arrow keys, zoom by wheel or +/−. */
import { useMemo, useRef, useState } from 'preact/hooks'
import { Empty, Show, useLoad } from '../components.js'
import { loadLineage, reachable, type Lineage } from '../lineage-data.js'
import { go, href } from '../router.js'

type Direction = 'both' | 'upstream' | 'downstream'

export function LineagePage({ refName }: { refName?: string }) {
  // dagre is loaded with the data, only by this page.
  const l = useLoad(async () => {
    const [g, dagre] = await Promise.all([loadLineage(refName), import('@dagrejs/dagre')])
    return { g, dagre: dagre.default }
  }, [refName])
  return (
    <>
      <h1>Lineage{refName ? <>: <code>{refName}</code></> : null}</h1>
      <Show l={l}>{({ g, dagre }) => g.nodes.length === 0
        ? <Empty title="Nothing to draw yet." command="quiver upload NAME PATH --framework F; quiver lineage NAME" />
        : <>{g.note && <p class="muted">{g.note}; showing what pipelines and feature sets name.</p>}<Graph g={g} dagre={dagre} /></>}</Show>
    </>
  )
}

const NODE_W = 180
const NODE_H = 44

type Dagre = typeof import('@dagrejs/dagre').default

function Graph({ g, dagre }: { g: Lineage; dagre: Dagre }) {
  const [direction, setDirection] = useState<Direction>('both')
  const focus = g.root.length > 0 ? g.root : undefined
  const shown = useMemo(() => {
    if (!focus) return null
    if (direction === 'both') return new Set([...reachable(g, focus, 'upstream'), ...reachable(g, focus, 'downstream')])
    return reachable(g, focus, direction)
  }, [g, focus, direction])
  const nodes = g.nodes.filter((n) => !shown || shown.has(n.id))
  const edges = g.edges.filter((e) => !shown || (shown.has(e.from) && shown.has(e.to)))
  const layout = useMemo(() => {
    const graph = new dagre.graphlib.Graph()
    graph.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 70, marginx: 20, marginy: 20 })
    graph.setDefaultEdgeLabel(() => ({}))
    for (const n of nodes) graph.setNode(n.id, { width: NODE_W, height: NODE_H })
    for (const e of edges) graph.setEdge(e.from, e.to)
    dagre.layout(graph)
    const size = graph.graph()
    return {
      at: new Map(nodes.map((n) => [n.id, graph.node(n.id)!])),
      paths: edges.map((e) => ({ e, points: (graph.edge(e.from, e.to) as { points?: { x: number; y: number }[] } | undefined)?.points ?? [] })),
      width: size.width ?? 400,
      height: size.height ?? 300,
    }
  }, [nodes.map((n) => n.id).join(','), edges.length])
  const [view, setView] = useState({ x: 0, y: 0, k: 1 })
  const drag = useRef<{ x: number; y: number; vx: number; vy: number } | null>(null)
  const zoom = (f: number) => setView((v) => ({ ...v, k: Math.min(4, Math.max(0.2, v.k * f)) }))
  const pan = (dx: number, dy: number) => setView((v) => ({ ...v, x: v.x + dx, y: v.y + dy }))
  const onKey = (e: KeyboardEvent) => {
    const step = 40
    const keys: Record<string, () => void> = {
      ArrowLeft: () => pan(step, 0), ArrowRight: () => pan(-step, 0), ArrowUp: () => pan(0, step), ArrowDown: () => pan(0, -step),
      '+': () => zoom(1.2), '=': () => zoom(1.2), '-': () => zoom(1 / 1.2), '0': () => setView({ x: 0, y: 0, k: 1 }),
    }
    if (keys[e.key]) {
      keys[e.key]!()
      e.preventDefault()
    }
  }
  const kinds = [...new Set(nodes.map((n) => n.kind))]
  return (
    <>
      <div class="toolbar">
        <span role="group" aria-label="direction">
          {(['both', 'upstream', 'downstream'] as const).map((d) => (
            <button key={d} type="button" aria-pressed={direction === d} class={direction === d ? 'primary' : ''} disabled={!focus} onClick={() => setDirection(d)}>{d}</button>
          ))}
        </span>
        <button type="button" aria-label="zoom in" onClick={() => zoom(1.2)}>+</button>
        <button type="button" aria-label="zoom out" onClick={() => zoom(1 / 1.2)}>−</button>
        <button type="button" onClick={() => setView({ x: 0, y: 0, k: 1 })}>Reset view</button>
        {focus && <a href={href('lineage')}>Whole graph</a>}
        <span class="muted">{nodes.length} nodes, {edges.length} edges · {g.source === 'lineage' ? 'recorded lineage, with the pipelines serving its versions' : 'from pipelines and feature definitions'}</span>
      </div>
      <p class="muted legend">Drag or use arrow keys to pan, wheel or +/− to zoom; Tab to a node and Enter to follow its lineage. Kinds: {kinds.join(', ')}.</p>
      <div
        class="graph"
        tabIndex={0}
        role="application"
        aria-label="lineage graph"
        onKeyDown={onKey}
        onWheel={(e) => { e.preventDefault(); zoom(e.deltaY < 0 ? 1.1 : 1 / 1.1) }}
        onPointerDown={(e) => { drag.current = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y } }}
        onPointerMove={(e) => {
          const d = drag.current
          if (!d || (Math.abs(e.clientX - d.x) < 4 && Math.abs(e.clientY - d.y) < 4)) return
          // Captured only once it is a drag, so that a click still reaches the node under the pointer.
          const el = e.currentTarget as HTMLElement
          if (!el.hasPointerCapture(e.pointerId)) el.setPointerCapture(e.pointerId)
          setView((v) => ({ ...v, x: d.vx + e.clientX - d.x, y: d.vy + e.clientY - d.y }))
        }}
        onPointerUp={() => { drag.current = null }}
      >
        <svg viewBox={`0 0 ${Math.max(layout.width, 600)} ${Math.max(layout.height, 400)}`} preserveAspectRatio="xMidYMid meet">
          <defs>
            <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M 0 0 L 10 5 L 0 10 z" fill="currentColor" opacity="0.6" />
            </marker>
          </defs>
          <g transform={`translate(${view.x} ${view.y}) scale(${view.k})`} data-testid="graph-content">
            {layout.paths.map(({ e, points }, i) => (
              <g key={i}>
                <path class="edge" marker-end="url(#arrow)" d={points.map((p, k) => `${k ? 'L' : 'M'}${p.x},${p.y}`).join(' ')}><title>{e.kind ?? ''}</title></path>
                {e.kind && points.length > 1 && <text class="edge-label" x={points[Math.floor(points.length / 2)]!.x} y={points[Math.floor(points.length / 2)]!.y - 4} text-anchor="middle">{e.kind}</text>}
              </g>
            ))}
            {nodes.map((n) => {
              const p = layout.at.get(n.id)!
              const open = () => go('lineage', n.ref)
              return (
                <g key={n.id} class={`node${focus?.includes(n.id) ? ' focus' : ''}`} data-node={n.id} data-label={n.label} tabIndex={0} role="link" aria-label={`${n.kind} ${n.label}`}
                  transform={`translate(${p.x - NODE_W / 2} ${p.y - NODE_H / 2})`}
                  onClick={open} onKeyDown={(e) => { if (e.key === 'Enter') { e.stopPropagation(); open() } }}>
                  <rect width={NODE_W} height={NODE_H} rx={8} />
                  <text class="kind" x={10} y={16}>{n.kind}</text>
                  <text x={10} y={34}>{n.label.length > 22 ? n.label.slice(0, 21) + '…' : n.label}</text>
                </g>
              )
            })}
          </g>
        </svg>
      </div>
    </>
  )
}
