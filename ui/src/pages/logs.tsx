/** Inference logs of a pipeline: time range, anomaly filters, paged rows, latency histogram, throughput. */
import { useMemo, useState } from 'preact/hooks'
import { api, enc } from '../api.js'
import { fmt, Plot } from '../charts.js'
import { Empty, Show, useLoad, usePaged } from '../components.js'
import { href } from '../router.js'

type Row = Record<string, unknown>

const LIMITS = ['100', '1000', '10000']

/** `datetime-local` value (local time) → ISO-8601 UTC, or undefined when empty. */
function iso(local: string): string | undefined {
  if (!local) return undefined
  const d = new Date(local)
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString()
}

export function LogsPage({ name }: { name: string }) {
  const [since, setSince] = useState('')
  const [until, setUntil] = useState('')
  const [limit, setLimit] = useState('1000')
  const [query, setQuery] = useState({ since: '', until: '', limit: '1000' })
  const l = useLoad(() => api<Row[]>(`/pipelines/${enc(name)}/logs`, { query: { since: iso(query.since), until: iso(query.until), limit: query.limit } }), [name, query])
  return (
    <>
      <p class="crumbs"><a href={href('pipelines')}>Pipelines</a> / <a href={href('pipelines', name)}>{name}</a> / logs</p>
      <h1>Inference logs: {name}</h1>
      <form class="toolbar" aria-label="time range" onSubmit={(e) => { e.preventDefault(); setQuery({ since, until, limit }) }}>
        <label>From <input type="datetime-local" step="1" value={since} onInput={(e) => setSince((e.target as HTMLInputElement).value)} /></label>
        <label>To <input type="datetime-local" step="1" value={until} onInput={(e) => setUntil((e.target as HTMLInputElement).value)} /></label>
        <label>Newest <select value={limit} onChange={(e) => setLimit((e.target as HTMLSelectElement).value)}>{LIMITS.map((n) => <option key={n}>{n}</option>)}</select> rows</label>
        <button type="submit" class="primary">Show</button>
        <button type="button" onClick={l.reload}>Refresh</button>
      </form>
      <Show l={l}>{(rows) => rows.length === 0
        ? <Empty title="No inference logged in this range." command={`quiver pipeline infer ${name} --input input.json`} />
        : <Logs rows={rows} />}</Show>
    </>
  )
}

function Logs({ rows }: { rows: Row[] }) {
  const columns = useMemo(() => [...new Set(rows.flatMap((r) => Object.keys(r)))], [rows])
  const flags = columns.filter((c) => c.startsWith('anomaly.') && c !== 'anomaly.count')
  const [onlyFlagged, setOnlyFlagged] = useState(false)
  const [flagFilter, setFlagFilter] = useState<Set<string>>(new Set())
  const shown = useMemo(() => rows.filter((r) => {
    if (onlyFlagged && !(Number(r['anomaly.count'] ?? 0) > 0)) return false
    for (const f of flagFilter) if (r[f] !== true) return false
    return true
  }), [rows, onlyFlagged, flagFilter])
  const { page, pager } = usePaged(shown, 50)
  const toggle = (f: string) => {
    const next = new Set(flagFilter)
    if (next.has(f)) next.delete(f)
    else next.add(f)
    setFlagFilter(next)
  }
  const flagged = rows.filter((r) => Number(r['anomaly.count'] ?? 0) > 0).length
  return (
    <>
      <div class="toolbar" role="group" aria-label="anomaly filters">
        <label><input type="checkbox" checked={onlyFlagged} onChange={() => setOnlyFlagged(!onlyFlagged)} /> Only rows with anomalies ({flagged})</label>
        {flags.map((f) => <label key={f}><input type="checkbox" checked={flagFilter.has(f)} onChange={() => toggle(f)} /> {f}</label>)}
        <span class="muted">{shown.length} of {rows.length} rows</span>
      </div>
      <Charts rows={shown} />
      <div class="scroll">
        <table aria-label="log rows">
          <thead><tr>{columns.map((c) => <th key={c}>{c}</th>)}</tr></thead>
          <tbody>
            {page.map((r, i) => (
              <tr key={i} class={Number(r['anomaly.count'] ?? 0) > 0 ? 'selected' : ''}>
                {columns.map((c) => <td key={c} class={typeof r[c] === 'number' ? 'num' : ''}><code>{cell(r[c])}</code></td>)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {pager}
    </>
  )
}

function cell(v: unknown): string {
  if (Array.isArray(v)) {
    const s = `[${v.map((x) => fmt(x)).join(', ')}]`
    return s.length > 80 ? s.slice(0, 77) + '…]' : s
  }
  if (v !== null && typeof v === 'object') return JSON.stringify(v).slice(0, 80)
  return fmt(v)
}

function Charts({ rows }: { rows: Row[] }) {
  const hist = useMemo(() => latencyHistogram(rows), [rows])
  const tput = useMemo(() => throughput(rows), [rows])
  return (
    <div class="charts">
      <div class="chart"><h3>Latency (ms per request)</h3>{hist ? <Plot kind="bars" x={hist.x} y={hist.y} xLabel="ms" yLabel="rows" label="latency histogram" /> : <p class="muted">No latency recorded.</p>}</div>
      <div class="chart"><h3>Throughput (rows per {tput.unit})</h3><Plot kind="line" time x={tput.x} y={tput.y} xLabel="time" yLabel={`rows / ${tput.unit}`} label="throughput over time" /></div>
    </div>
  )
}

function latencyHistogram(rows: Row[]): { x: number[]; y: number[] } | null {
  const ms = rows.map((r) => r['metadata.latency_ms']).filter((v): v is number => typeof v === 'number')
  if (ms.length === 0) return null
  const lo = Math.min(...ms)
  const hi = Math.max(...ms)
  const bins = Math.min(30, Math.max(5, Math.ceil(Math.sqrt(ms.length))))
  const width = (hi - lo) / bins || 1
  const y = new Array<number>(bins).fill(0)
  for (const v of ms) y[Math.min(bins - 1, Math.floor((v - lo) / width))]!++
  return { x: y.map((_, k) => lo + (k + 0.5) * width), y }
}

const UNITS: [string, number][] = [['second', 1], ['minute', 60], ['hour', 3600], ['day', 86400]]

function throughput(rows: Row[]): { x: number[]; y: number[]; unit: string } {
  const t = rows.map((r) => Date.parse(String(r.time)) / 1000).filter(Number.isFinite).sort((a, b) => a - b)
  if (t.length === 0) return { x: [], y: [], unit: 'second' }
  const span = t[t.length - 1]! - t[0]!
  const [unit, size] = UNITS.find(([, s]) => span / s <= 120) ?? UNITS[UNITS.length - 1]!
  const start = Math.floor(t[0]! / size) * size
  const n = Math.floor((t[t.length - 1]! - start) / size) + 1
  const y = new Array<number>(n).fill(0)
  for (const v of t) y[Math.floor((v - start) / size)]!++
  // An empty bucket either side, so that a single busy second still draws as a line on a readable axis.
  return { x: [start - size, ...y.map((_, k) => start + k * size), start + n * size], y: [0, ...y, 0], unit }
}
