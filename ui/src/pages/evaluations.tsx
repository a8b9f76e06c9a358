/**
 * Evaluations (SPEC §9): a model, or two side by side, on a test suite; metrics per test case,
 * bars of the deltas, confusion matrices as heat maps. Runs `POST /v1/models/{ref}/evaluate` or
 * `POST /v1/compare`, or reads the JSON `quiver evaluate --json` / `quiver compare --json` printed.
 */
import { useState } from 'preact/hooks'
import { api, ApiError, canEdit, enc, type ComparisonResult, type EvaluationResult, type SuiteRecord, type WhoAmI } from '../api.js'
import { DeltaBars, fmt, HeatMap } from '../charts.js'
import { Empty, useLoad } from '../components.js'

/** One model's metrics per test case (SPEC §9's `evaluate --json`); pasted JSON may carry only those fields. */
type Evaluation = Pick<EvaluationResult, 'model' | 'suite' | 'task'> & Partial<Pick<EvaluationResult, 'deterministic' | 'warnings'>> & {
  cases: Record<string, Record<string, unknown>>
}
type Comparison = Omit<ComparisonResult, 'results'> & { results: Evaluation[] }

function evaluationsOf(v: unknown): Evaluation[] {
  if (Array.isArray(v)) return v as Evaluation[]
  const o = v as Partial<Comparison & Evaluation>
  if (Array.isArray(o.results)) return o.results
  if (o.cases) return [o as Evaluation]
  return []
}

/** Metrics where smaller is better: their bars count a fall as a gain. */
const LOWER_IS_BETTER = new Set(['mae', 'rmse', 'mse', 'log_loss'])

export function EvaluationsPage({ me }: { me: WhoAmI }) {
  const [a, setA] = useState('')
  const [b, setB] = useState('')
  const [suite, setSuite] = useState('')
  const [results, setResults] = useState<Evaluation[]>([])
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const [pasted, setPasted] = useState('')
  const [comparison, setComparison] = useState<Comparison>()
  const suites = useLoad(() => api<SuiteRecord[]>('/suites').catch(() => [] as SuiteRecord[]), [])
  const run = async (e: Event) => {
    e.preventDefault()
    setError(undefined)
    setBusy(true)
    try {
      setComparison(undefined)
      if (b.trim()) {
        const c = await api<Comparison>('/compare', { method: 'POST', body: { a: a.trim(), b: b.trim(), suite: suite.trim() } })
        setComparison(c)
        setResults(evaluationsOf(c))
      } else {
        setResults([await api<Evaluation>(`/models/${enc(a.trim())}/evaluate`, { method: 'POST', body: { suite: suite.trim() } })])
      }
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
      const v = JSON.parse(pasted) as unknown
      const list = evaluationsOf(v)
      if (list.length === 0 || list.some((x) => !x || typeof x.cases !== 'object')) throw new Error('expected the JSON of quiver evaluate --json or quiver compare --json')
      setComparison(Array.isArray((v as Partial<Comparison>).results) ? v as Comparison : undefined)
      setResults(list)
    } catch (err) {
      setError(`Could not read the pasted evaluation: ${(err as Error).message}`)
    }
  }
  return (
    <>
      <h1>Evaluations</h1>
      {!canEdit(me) && <p class="muted">Running an evaluation needs an editor token; a viewer can read one pasted below.</p>}
      {canEdit(me) && <form class="toolbar" aria-label="evaluate" onSubmit={run}>
        <label>Model <input required placeholder="iris#1" value={a} onInput={(e) => setA((e.target as HTMLInputElement).value)} /></label>
        <label>Compare with <input placeholder="iris#2 (optional)" value={b} onInput={(e) => setB((e.target as HTMLInputElement).value)} /></label>
        <label>Suite <input required list="suites" placeholder="iris-holdout" value={suite} onInput={(e) => setSuite((e.target as HTMLInputElement).value)} /></label>
        <datalist id="suites">{(suites.data ?? []).map((x) => <option key={x.ref} value={x.name}>{`${x.ref}: ${x.rows} rows, label ${x.label}`}</option>)}</datalist>
        <button class="primary" type="submit" disabled={busy}>{busy ? 'Evaluating…' : 'Evaluate'}</button>
      </form>}
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
        : <Results results={results} comparison={comparison} />}
    </>
  )
}

function Results({ results, comparison }: { results: Evaluation[]; comparison?: Comparison }) {
  const cases = [...new Set(results.flatMap((r) => Object.keys(r.cases)))]
  const [a, b] = results
  return (
    <>
      <p>Suite <code>{a!.suite}</code> · {a!.task} · {results.map((r) => <code key={r.model}>{r.model} </code>)}
        {results.some((r) => r.deterministic === false) && <span class="error"> · not deterministic: the same sample gave different answers</span>}</p>
      {comparison && (
        <p data-testid="verdict">
          {comparison.better === 'tie' ? 'No metric moved past the threshold.' : `Better: ${comparison.better === 'b' ? comparison.b : comparison.a}.`}
          {(comparison.regressions?.length ?? 0) > 0 && <span class="error"> Regressions in: {comparison.regressions!.join(', ')}.</span>}
          {comparison.promotion && <> {comparison.promotion.promoted ? `Tag ${comparison.promotion.tag} moved.` : `Tag ${comparison.promotion.tag} not moved: ${comparison.promotion.reason}`}</>}
        </p>
      )}
      {results.flatMap((r) => (r.warnings ?? []).map((w) => <p key={r.model + w} class="muted">{r.model}: {w}</p>))}
      <h2>Metrics per test case</h2>
      <div class="scroll">
        <table aria-label="metrics">
          <thead>
            <tr><th>Case</th><th>Metric</th>{results.map((r) => <th key={r.model} class="num" title={r.model}>{short(r.model)}</th>)}{b && <th class="num">Δ</th>}</tr>
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
          return m !== 'rows' && typeof va === 'number' && typeof vb === 'number' ? [{ label: m, value: vb - va }] : []
        })
        return items.length ? <div key={c}><h3>Δ {c}: {short(b.model)} − {short(a!.model)}</h3><DeltaBars items={items} label={`metric deltas for ${c}`} /></div> : null
      })}
      {results.some((r) => Array.isArray(r.cases.all?.confusion_matrix)) && (
        <>
          <h2>Confusion matrix (all samples)</h2>
          <div class="cards">
            {results.map((r) => Array.isArray(r.cases.all?.confusion_matrix) && (
              <div class="card" key={r.model}><h3 title={r.model}>{short(r.model)}</h3><HeatMap matrix={r.cases.all!.confusion_matrix as number[][]} labels={(r.cases.all!.labels as unknown[] | undefined)?.map(String)} label={`confusion matrix of ${r.model}`} /></div>
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

/** `name:uuid` → `name:` and the UUID's first 8 digits (the whole reference stays in the title). */
function short(model: string): string {
  const m = /^(.*:)([0-9a-f]{8})-[0-9a-f-]{27}$/i.exec(model)
  return m ? `${m[1]}${m[2]}` : model
}
