/** Feature sets: definitions, derived (model) features, and an online fetch form. */
import { useState } from 'preact/hooks'
import { api, ApiError, canEdit, enc, type FeatureSetRecord, type FetchResult, type MaterializeResult, type WhoAmI } from '../api.js'
import { Empty, Show, typeName, Unavailable, useLoad, usePaged, when } from '../components.js'
import { href } from '../router.js'

export function FeaturesPage() {
  const l = useLoad(() => api<FeatureSetRecord[]>('/features'), [])
  return (
    <>
      <h1>Feature sets</h1>
      <Show l={l} unavailable={<Unavailable what="Feature sets" command="quiver features list" />}>{(sets) => <SetList sets={sets} />}</Show>
    </>
  )
}

function SetList({ sets }: { sets: FeatureSetRecord[] }) {
  const { page, pager } = usePaged(sets)
  if (sets.length === 0) return <Empty title="No feature sets yet." command="quiver features apply features.json" />
  return (
    <>
      <table aria-label="feature sets">
        <thead><tr><th>Name</th><th>Version</th><th>Entity</th><th>Features</th><th>Derived</th><th>Applied</th></tr></thead>
        <tbody>
          {page.map((s) => (
            <tr key={s.name}>
              <td><a href={href('features', s.name)}>{s.name}</a></td>
              <td>v{s.version}</td>
              <td>{s.definition.entity.map((k) => <code key={k}>{k} </code>)}</td>
              <td>{s.definition.features.length}</td>
              <td>{s.definition.features.filter((f) => f.inference).length}</td>
              <td>{when(s.created_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {pager}
    </>
  )
}

export function FeatureSetPage({ name, me }: { name: string; me: WhoAmI }) {
  const l = useLoad(() => api<FeatureSetRecord>(`/features/${enc(name)}`), [name])
  return (
    <>
      <p class="crumbs"><a href={href('features')}>Feature sets</a> / {name}</p>
      <Show l={l} unavailable={<Unavailable what="Feature sets" command={`quiver features show ${name}`} />}>{(s) => <FeatureSet s={s} editable={canEdit(me)} />}</Show>
    </>
  )
}

function inputsText(inputs: unknown): string {
  if (Array.isArray(inputs)) return `[${inputs.map((x) => JSON.stringify(x)).join(', ')}]`
  return Object.entries(inputs as Record<string, unknown>).map(([k, v]) => `${k} ← ${JSON.stringify(v)}`).join('; ')
}

function FeatureSet({ s, editable }: { s: FeatureSetRecord; editable: boolean }) {
  const d = s.definition
  const source = 'path' in d.source ? d.source.path : d.source.sql
  return (
    <>
      <h1>{s.name} <span class="muted">v{s.version}</span></h1>
      {d.description && <p>{d.description}</p>}
      <table aria-label="feature set facts">
        <tbody>
          <tr><th scope="row">Entity key</th><td>{s.keys.map((k) => <code key={k.name}>{k.name}: {typeName(k.type)} </code>)}</td></tr>
          <tr><th scope="row">Event time</th><td><code>{d.event_time}</code></td></tr>
          <tr><th scope="row">Source</th><td><code class="wrap">{source}</code></td></tr>
          {d.ttl && <tr><th scope="row">TTL</th><td>{d.ttl}</td></tr>}
          <tr><th scope="row">Digest</th><td><code class="wrap">{s.digest}</code></td></tr>
          <tr><th scope="row">Applied</th><td>{when(s.created_at)}</td></tr>
        </tbody>
      </table>
      <h2>Features</h2>
      <table aria-label="features">
        <thead><tr><th>Name</th><th>Type</th><th>Derived from model</th><th>Inputs</th><th>Output</th></tr></thead>
        <tbody>
          {d.features.map((f) => (
            <tr key={f.name}>
              <td><code>{f.name}</code>{f.description && <div class="muted">{f.description}</div>}</td>
              <td><code>{typeName(f.type)}</code></td>
              <td>{f.inference ? <a href={href('lineage', f.inference.model.split(/[@:#]/)[0]!)}><code>{f.inference.model}</code></a> : <span class="muted">base</span>}</td>
              <td>{f.inference ? <code>{inputsText(f.inference.inputs)}</code> : ''}</td>
              <td>{f.inference?.output ? <code>{f.inference.output}</code> : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {editable && <Materialize s={s} />}
      <FetchForm s={s} />
    </>
  )
}

function FetchForm({ s }: { s: FeatureSetRecord }) {
  const keys = s.definition.entity
  const [values, setValues] = useState<Record<string, string>>({})
  const [picked, setPicked] = useState('')
  const [result, setResult] = useState<unknown>()
  const [error, setError] = useState<string>()
  const submit = async (e: Event) => {
    e.preventDefault()
    setError(undefined)
    setResult(undefined)
    const q = new URLSearchParams()
    for (const k of keys) q.set(k, values[k] ?? '')
    if (picked.trim()) q.set('features', picked.trim())
    try {
      setResult(await api(`/features/${enc(s.name)}/fetch?${q}`))
    } catch (err) {
      setError(err instanceof ApiError && err.status === 404 && /no route/.test(err.message)
        ? `Online fetch is not available on this server; the command line has it: quiver fetch ${s.name} ${keys.map((k) => `--key ${k}=VALUE`).join(' ')}`
        : (err as Error).message)
    }
  }
  return (
    <>
      <h2>Fetch online</h2>
      <form class="toolbar" aria-label="fetch" onSubmit={submit}>
        {keys.map((k) => <label key={k}>{k} <input required value={values[k] ?? ''} onInput={(e) => setValues({ ...values, [k]: (e.target as HTMLInputElement).value })} /></label>)}
        <label>Features <input placeholder="all" value={picked} onInput={(e) => setPicked((e.target as HTMLInputElement).value)} /></label>
        <button type="submit" class="primary">Fetch</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      {result !== undefined && <Fetched r={result as FetchResult} />}
    </>
  )
}

function Fetched({ r }: { r: FetchResult }) {
  return (
    <table aria-label="fetched features">
      <thead><tr><th>Feature</th><th>Value</th><th>Model</th></tr></thead>
      <tbody>
        {Object.entries(r.features ?? {}).map(([k, v]) => <tr key={k}><td><code>{k}</code></td><td><code>{JSON.stringify(v)}</code></td><td>{r.models?.[k] ?? ''}</td></tr>)}
        {(r.missing ?? []).map((k) => <tr key={`m-${k}`}><td><code>{k}</code></td><td class="muted">missing</td><td /></tr>)}
      </tbody>
    </table>
  )
}

/** Offline source → online store, so that fetch finds the base features. */
function Materialize({ s }: { s: FeatureSetRecord }) {
  const [done, setDone] = useState<MaterializeResult>()
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const run = async () => {
    setBusy(true)
    setError(undefined)
    try {
      setDone(await api<MaterializeResult>(`/features/${enc(s.name)}/materialize`, { method: 'POST' }))
    } catch (err) {
      setError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }
  return (
    <>
      <h2>Online store</h2>
      <p class="toolbar">
        <button type="button" disabled={busy} onClick={run}>{busy ? 'Materializing…' : 'Materialize'}</button>
        <span class="muted">copies the offline source's latest values into the online store (<code>quiver features materialize {s.name}</code>)</span>
      </p>
      {done && <p role="status">Wrote {done.entities} entities of {done.set} v{done.version} to the {done.store} store in {done.seconds.toFixed(2)} s.</p>}
      {error && <p class="error" role="alert">{error}</p>}
    </>
  )
}
