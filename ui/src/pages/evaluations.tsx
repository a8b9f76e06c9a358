/**
 * Evaluations (SPEC §9): a model, or two side by side, on a test suite; metrics per test case,
 * bars of the deltas, confusion matrices as heat maps. Runs `POST /v1/models/{ref}/evaluate`, or
 * reads the JSON `quiver evaluate --json` printed.
 */
import { useState } from 'preact/hooks'
import { api, ApiError, enc } from '../api.js'
import { DeltaBars, fmt, HeatMap } from '../charts.js'
import { Empty } from '../components.js'

/** `quiver evaluate --json`. */
export interface Evaluation {
  model: string
  suite: string
  task: 'classification' | 'regression'
  cases: Record<string, Record<string, unknown>>
  deterministic?: boolean
  labels?: string[]
}

/** Metrics where smaller is better: their bars count a fall as a gain. */
const LOWER_IS_BETTER = new Set(['mae', 'rmse', 'mse', 'log_loss'])

export function EvaluationsPage() {
  const [a, setA] = useState('')
  const [b, setB] = useState('')
  const [suite, setSuite] = useState('')
  const [results, setResults] = useState<Evaluation[]>([])
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const [pasted, setPasted] = useState('')
  const run = async (e: Event) => {
    e.preventDefault()
    setError(undefined)
    setBusy(true)
    try {
      const refs = [a, b].map((r) => r.trim()).filter(Boolean)
      setResults(await Promise.all(refs.map((ref) => api<Evaluation>(`/models/${enc(ref)}/evaluate`, { method: 'POST', body: { suite: suite.trim() } }))))
    } catch (err) {
      setError(err instanceof ApiError && err.status === 404 && /no route/.test(err.message)
        ? `Evaluation is not available on this server's HTTP API. Run it on the command line and paste its JSON below: quiver compare ${a || 'MODEL#1'} ${b || 'MODEL#2'} --suite ${suite || 'SUITE'} --json`
        : (err as Error).message)
    } finally {
      setBusy(false)
    }
  }
  const read = (e: Event) => {
    e.preventDefault()
    setError(undefined)
    try {
      const v = JSON.parse(pasted) as Evaluation | Evaluation[] | { a?: Evaluation; b?: Evaluation; results?: Evaluation[] }
      const list = Array.isArray(v) ? v : 'cases' in v ? [v as Evaluation] : (v as { results?: Evaluation[] }).results ?? [(v as { a: Evaluation }).a, (v as { b: Evaluation }).b].filter(Boolean)
      if (list.length === 0 || list.some((x) => !x || typeof x.cases !== 'object')) throw new Error('expected the JSON of quiver evaluate --json (an object with "cases"), or a list of two')
      setResults(list)
    } catch (err) {
      setError(`Could not read the pasted evaluation: ${(err as Error).message}`)
    }
  }
  return (
    <>
      <h1>Evaluations</h1>
      <form class="toolbar" aria-label="evaluate" onSubmit={run}>
        <label>Model <input required placeholder="iris#1" value={a} onInput={(e) => setA((e.target as HTMLInputElement).value)} /></label>
        <label>Compare with <input placeholder="iris#2 (optional)" value={b} onInput={(e) => setB((e.target as HTMLInputElement).value)} /></label>
        <label>Suite <input required placeholder="iris-holdout" value={suite} onInput={(e) => setSuite((e.target as HTMLInputElement).value)} /></label>
        <button class="primary" type="submit" disabled={busy}>{busy ? 'Evaluating…' : 'Evaluate'}</button>
      </form>
      <details>
        <summary>Paste the JSON of <code>quiver evaluate --json</code></summary>
        <form onSubmit={read}>
          <textarea aria-label="evaluation JSON" rows={6} style="width:100%" value={pasted} onInput={(e) => setPasted((e.target as HTMLTextAreaElement).value)} />
          <button type="submit">Show</button>
        </form>
      </details>
      {error && <p class="error" role="alert">{error}</p>}
      {results.length === 0
        ? <Empty title="No evaluation shown yet." command="quiver suite create NAME --file samples.csv --label COL && quiver evaluate MODEL --suite NAME" />
        : <Results results={results} />}
    </>
  )
}

function Results({ results }: { results: Evaluation[] }) {
  const cases = [...new Set(results.flatMap((r) => Object.keys(r.cases)))]
  const [a, b] = results
  return (
    <>
      <p>Suite <code>{a!.suite}</code> · {a!.task} · {results.map((r) => <code key={r.model}>{r.model} </code>)}
        {results.some((r) => r.deterministic === false) && <span class="error"> · not deterministic: the same sample gave different answers</span>}</p>
      <h2>Metrics per test case</h2>
      <div class="scroll">
        <table aria-label="metrics">
          <thead>
            <tr><th>Case</th><th>Metric</th>{results.map((r) => <th key={r.model} class="num">{r.model}</th>)}{b && <th class="num">Δ</th>}</tr>
          </thead>
          <tbody>
            {cases.flatMap((c) => scalarMetrics(results, c).map((m, k) => {
              const va = a!.cases[c]?.[m]
              const vb = b?.cases[c]?.[m]
              const delta = typeof va === 'number' && typeof vb === 'number' ? vb - va : undefined
              const better = delta === undefined || delta === 0 ? '' : (delta > 0) !== LOWER_IS_BETTER.has(m) ? 'status-ready' : 'error'
              return (
                <tr key={`${c}.${m}`}>
                  <td>{k === 0 ? <strong>{c}</strong> : ''}</td>
                  <td><code>{m}</code></td>
                  {results.map((r) => <td key={r.model} class="num">{fmt(r.cases[c]?.[m])}</td>)}
                  {b && <td class={`num ${better}`}>{delta === undefined ? '—' : `${delta >= 0 ? '+' : ''}${fmt(delta)}`}</td>}
                </tr>
              )
            }))}
          </tbody>
        </table>
      </div>
      {b && cases.map((c) => {
        const items = scalarMetrics(results, c).flatMap((m) => {
          const va = a!.cases[c]?.[m]
          const vb = b.cases[c]?.[m]
          return typeof va === 'number' && typeof vb === 'number' ? [{ label: m, value: vb - va }] : []
        })
        return items.length ? <div key={c}><h3>Δ {c}: {b.model} − {a!.model}</h3><DeltaBars items={items} label={`metric deltas for ${c}`} /></div> : null
      })}
      {results.some((r) => Array.isArray(r.cases.all?.confusion_matrix)) && (
        <>
          <h2>Confusion matrix (all samples)</h2>
          <div class="cards">
            {results.map((r) => Array.isArray(r.cases.all?.confusion_matrix) && (
              <div class="card" key={r.model}><h3>{r.model}</h3><HeatMap matrix={r.cases.all!.confusion_matrix as number[][]} labels={r.labels} label={`confusion matrix of ${r.model}`} /></div>
            ))}
          </div>
        </>
      )}
    </>
  )
}

function scalarMetrics(results: Evaluation[], c: string): string[] {
  return [...new Set(results.flatMap((r) => Object.entries(r.cases[c] ?? {}).filter(([, v]) => typeof v === 'number' || v === null).map(([k]) => k)))]
}
