/** Charts: uPlot for the latency histogram and the throughput line; small SVG for bars and heat maps. */
import { useEffect, useRef } from 'preact/hooks'

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888'
}

/** A uPlot chart sized to its box; `kind: 'bars'` draws a histogram. */
export function Plot({ x, y, xLabel, yLabel, kind, label, time }: {
  x: number[]; y: number[]; xLabel: string; yLabel: string; kind: 'bars' | 'line'; label: string; time?: boolean
}) {
  const box = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const el = box.current
    if (!el) return
    let done = false
    let cleanup = () => { done = true }
    void import('./uplot-chart.js').then(({ default: uPlot }) => {
      if (done) return
    const axis = { stroke: cssVar('--muted'), grid: { stroke: cssVar('--line'), width: 1 }, ticks: { stroke: cssVar('--line') } }
    const accent = cssVar('--accent')
    const plot = new uPlot({
      width: Math.max(280, el.clientWidth - 8),
      height: 220,
      scales: { x: { time: Boolean(time) } },
      legend: { show: false },
      axes: [{ ...axis, label: xLabel }, { ...axis, label: yLabel }],
      series: [{}, kind === 'bars'
        ? { label: yLabel, stroke: accent, fill: accent + '99', paths: uPlot.paths.bars!({ size: [0.9, 60] }), points: { show: false } }
        : { label: yLabel, stroke: accent, width: 2, points: { show: x.length < 60 } }],
    }, [x, y], el)
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth - 8), height: 220 }))
    resize.observe(el)
    cleanup = () => {
      resize.disconnect()
      plot.destroy()
    }
    })
    return () => cleanup()
  }, [x, y, kind])
  return <div ref={box} role="img" aria-label={label} />
}

/** Horizontal bars around zero: one per label, green above zero, red below. */
export function DeltaBars({ items, label }: { items: { label: string; value: number }[]; label: string }) {
  const max = Math.max(1e-12, ...items.map((i) => Math.abs(i.value)))
  const rowH = 24
  const w = 520
  const mid = 300
  const half = w - mid - 70
  return (
    <svg viewBox={`0 0 ${w} ${items.length * rowH + 8}`} role="img" aria-label={label} style={`max-width:${w}px;width:100%`}>
      <line x1={mid} x2={mid} y1={0} y2={items.length * rowH + 8} stroke="currentColor" opacity={0.4} />
      {items.map((it, k) => {
        const len = (Math.abs(it.value) / max) * half
        const y = k * rowH + 4
        return (
          <g key={it.label}>
            <text x={mid - half - 8} y={y + 15} text-anchor="end" font-size="12">{it.label}</text>
            <rect class={it.value >= 0 ? 'bar-pos' : 'bar-neg'} x={it.value >= 0 ? mid : mid - len} y={y + 3} width={Math.max(1, len)} height={rowH - 8} />
            <text x={it.value >= 0 ? mid + len + 4 : mid + 4} y={y + 15} font-size="12">{it.value >= 0 ? '+' : ''}{fmt(it.value)}</text>
          </g>
        )
      })}
    </svg>
  )
}

/** A confusion matrix as a heat map: rows are true classes, columns predicted. */
export function HeatMap({ matrix, labels, label }: { matrix: number[][]; labels?: string[]; label: string }) {
  const n = matrix.length
  const max = Math.max(1, ...matrix.flat())
  const cell = Math.max(28, Math.min(56, Math.floor(360 / Math.max(1, n))))
  const pad = 70
  const names = labels ?? matrix.map((_, i) => String(i))
  return (
    <svg viewBox={`0 0 ${pad + n * cell + 10} ${pad + n * cell + 10}`} role="img" aria-label={label} style={`max-width:${pad + n * cell + 10}px;width:100%`}>
      <text x={pad + (n * cell) / 2} y={14} text-anchor="middle" font-size="12">predicted</text>
      <text x={14} y={pad + (n * cell) / 2} text-anchor="middle" font-size="12" transform={`rotate(-90 14 ${pad + (n * cell) / 2})`}>true</text>
      {names.map((l, j) => <text key={`c${j}`} x={pad + j * cell + cell / 2} y={pad - 8} text-anchor="middle" font-size="11">{l}</text>)}
      {names.map((l, i) => <text key={`r${i}`} x={pad - 8} y={pad + i * cell + cell / 2 + 4} text-anchor="end" font-size="11">{l}</text>)}
      {matrix.map((row, i) => row.map((v, j) => {
        const t = v / max
        return (
          <g key={`${i}-${j}`}>
            <rect x={pad + j * cell} y={pad + i * cell} width={cell - 2} height={cell - 2} fill={`rgba(31, 111, 235, ${0.08 + 0.92 * t})`}><title>{`true ${names[i]}, predicted ${names[j]}: ${v}`}</title></rect>
            <text x={pad + j * cell + cell / 2 - 1} y={pad + i * cell + cell / 2 + 4} text-anchor="middle" font-size="12" style={t > 0.5 ? 'fill:#fff' : ''}>{v}</text>
          </g>
        )
      }))}
    </svg>
  )
}

export function fmt(v: unknown): string {
  if (typeof v !== 'number') return v === null || v === undefined ? '—' : String(v)
  if (Number.isInteger(v)) return String(v)
  return Math.abs(v) >= 1000 || Math.abs(v) < 0.001 ? v.toExponential(3) : v.toFixed(4)
}
