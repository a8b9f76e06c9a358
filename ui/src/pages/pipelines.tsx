/** Pipelines and deployments: steps, versions, replicas, batching; deploy, undeploy, hot swap of a step. */
import { useState } from 'preact/hooks'
import { api, canEdit, enc, type PipelineRecord, type VersionRecord, type WhoAmI } from '../api.js'
import { bytes, Confirm, Empty, Show, StatusBadge, useLoad, usePaged, when } from '../components.js'
import { href } from '../router.js'

export function PipelinesPage() {
  const l = useLoad(() => api<PipelineRecord[]>('/pipelines'), [])
  return (
    <>
      <h1>Pipelines</h1>
      <Show l={l}>{(list) => <PipelineList list={list} />}</Show>
    </>
  )
}

function PipelineList({ list }: { list: PipelineRecord[] }) {
  const { page, pager } = usePaged(list)
  if (list.length === 0) return <Empty title="No pipelines yet." command="quiver pipeline create NAME --step MODEL@production && quiver pipeline deploy NAME" />
  return (
    <>
      <table aria-label="pipelines">
        <thead><tr><th>Name</th><th>Version</th><th>Steps</th><th>Deployment</th><th>Created</th></tr></thead>
        <tbody>
          {page.map((p) => (
            <tr key={p.name}>
              <td><a href={href('pipelines', p.name)}>{p.name}</a></td>
              <td>v{p.version}</td>
              <td>{p.steps.map((s, i) => <span key={i}>{i > 0 && ' → '}<code>{s.ref}</code></span>)}</td>
              <td>{p.deployment ? <span class="badge status-ready">deployed · {p.deployment.replicas} replica{p.deployment.replicas === 1 ? '' : 's'}</span> : <span class="muted">not deployed</span>}</td>
              <td>{when(p.created_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {pager}
    </>
  )
}

export function PipelinePage({ name, me }: { name: string; me: WhoAmI }) {
  const l = useLoad(() => api<PipelineRecord>(`/pipelines/${enc(name)}`), [name])
  return (
    <>
      <p class="crumbs"><a href={href('pipelines')}>Pipelines</a> / {name}</p>
      <Show l={l}>{(p) => <Pipeline p={p} editable={canEdit(me)} onChange={l.reload} />}</Show>
    </>
  )
}

type Action = { kind: 'undeploy' } | { kind: 'swap'; index: number; ref: string } | null

function Pipeline({ p, editable, onChange }: { p: PipelineRecord; editable: boolean; onChange: () => void }) {
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const [action, setAction] = useState<Action>(null)
  const d = p.deployment
  // Which version each step's reference names now (a tag reference follows its tag).
  const resolved = useLoad(() => Promise.all(p.steps.map((s) => api<VersionRecord>(`/models/${enc(s.ref)}`).catch(() => null))), [p.version_id, p.steps.map((s) => s.ref).join()])
  const run = async (f: () => Promise<unknown>) => {
    setError(undefined)
    setBusy(true)
    try {
      await f()
      onChange()
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setBusy(false)
    }
  }
  const confirmed = (ok: boolean) => {
    const a = action
    setAction(null)
    if (!ok || !a) return
    if (a.kind === 'undeploy') void run(() => api(`/pipelines/${enc(p.name)}/undeploy`, { method: 'POST' }))
    else void run(() => api(`/pipelines/${enc(p.name)}/swap-step`, { method: 'POST', body: { index: a.index, ref: a.ref } }))
  }
  return (
    <>
      <h1>{p.name} <span class="muted">v{p.version}</span></h1>
      <p class="muted">Version id <code>{p.version_id}</code>, created {when(p.created_at)}. <a href={href('pipelines', p.name, 'logs')}>Inference logs</a> · <a href={href('lineage', `pipeline:${p.name}`)}>Lineage</a></p>
      <h2>Steps</h2>
      <table aria-label="steps">
        <thead><tr><th>#</th><th>Model</th><th>Version now</th><th>Field mapping</th>{editable && <th>Hot swap</th>}</tr></thead>
        <tbody>
          {p.steps.map((s, i) => (
            <tr key={i}>
              <td>{i}</td>
              <td><a href={href('models', s.ref.split(/[@:#]/)[0]!)}><code>{s.ref}</code></a></td>
              <td>{(() => {
                const v = resolved.data?.[i]
                if (resolved.data === undefined) return <span class="muted">…</span>
                if (!v) return <span class="error">does not resolve</span>
                return <><a href={href('models', v.name, v.seq)}>{v.name}#{v.seq}</a> <StatusBadge status={v.status} /></>
              })()}</td>
              <td>{s.map && Object.keys(s.map).length > 0 ? Object.entries(s.map).map(([a, b]) => <div key={a}><code>{a}</code> → <code>{b}</code></div>) : <span class="muted">by name</span>}</td>
              {editable && <td><SwapForm index={i} current={s.ref} busy={busy} onSwap={(ref) => setAction({ kind: 'swap', index: i, ref })} /></td>}
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Validations</h2>
      {p.validations.length === 0
        ? <p class="muted">None. Add one with <code>quiver pipeline validate {p.name} --add high="out.score &gt; 0.9"</code></p>
        : <table aria-label="validations"><tbody>{p.validations.map((v) => <tr key={v.name}><th scope="row">anomaly.{v.name}</th><td><code>{v.expression}</code></td></tr>)}</tbody></table>}
      <h2>Deployment</h2>
      {d ? (
        <table aria-label="deployment">
          <tbody>
            <tr><th scope="row">Deployed</th><td>{when(d.deployed_at)}</td></tr>
            <tr><th scope="row">Replicas</th><td>{d.replicas}</td></tr>
            <tr><th scope="row">CPUs (threads)</th><td>{d.cpus}</td></tr>
            <tr><th scope="row">Memory</th><td>{bytes(d.memory_bytes)} allowed, {bytes(d.estimate_bytes)} estimated</td></tr>
            <tr><th scope="row">Batching</th><td>{d.batch_max_rows <= 1 ? 'off' : `up to ${d.batch_max_rows} rows, waiting ${d.batch_delay_ms} ms`}</td></tr>
          </tbody>
        </table>
      ) : <p class="muted">Not deployed.</p>}
      {editable && <DeployForm p={p} busy={busy} onDeploy={(body) => void run(() => api(`/pipelines/${enc(p.name)}/deploy`, { method: 'POST', body }))} />}
      {editable && d && <p><button type="button" class="danger" disabled={busy} onClick={() => setAction({ kind: 'undeploy' })}>Undeploy</button></p>}
      {error && <p class="error" role="alert">{error}</p>}
      <Confirm open={action !== null} title={action?.kind === 'undeploy' ? 'Undeploy?' : 'Swap step?'} confirmLabel={action?.kind === 'undeploy' ? 'Undeploy' : 'Swap'} onClose={confirmed}>
        {action?.kind === 'undeploy' && <p>Undeploy <strong>{p.name}</strong>? Requests to it are refused until it is deployed again.</p>}
        {action?.kind === 'swap' && <p>Replace step {action.index} (<code>{p.steps[action.index]?.ref}</code>) with <code>{action.ref}</code>? This makes a new pipeline version; a deployment switches with no dropped request.</p>}
      </Confirm>
    </>
  )
}

function SwapForm({ index, current, busy, onSwap }: { index: number; current: string; busy: boolean; onSwap: (ref: string) => void }) {
  const [ref, setRef] = useState('')
  return (
    <form class="toolbar" onSubmit={(e) => { e.preventDefault(); if (ref.trim() && ref.trim() !== current) onSwap(ref.trim()) }}>
      <input aria-label={`new model for step ${index}`} placeholder="model@tag, model#2" value={ref} onInput={(e) => setRef((e.target as HTMLInputElement).value)} />
      <button type="submit" disabled={busy || !ref.trim()}>Swap</button>
    </form>
  )
}

function DeployForm({ p, busy, onDeploy }: { p: PipelineRecord; busy: boolean; onDeploy: (body: Record<string, number>) => void }) {
  const d = p.deployment
  const [replicas, setReplicas] = useState(String(d?.replicas ?? 1))
  const [rows, setRows] = useState(String(d?.batch_max_rows ?? 1))
  const [delay, setDelay] = useState(String(d?.batch_delay_ms ?? 0))
  const num = (s: string) => Number(s)
  return (
    <form class="toolbar" aria-label="deploy" onSubmit={(e) => { e.preventDefault(); onDeploy({ replicas: num(replicas), batch_max_rows: num(rows), batch_delay_ms: num(delay) }) }}>
      <label>Replicas <input type="number" min="1" value={replicas} onInput={(e) => setReplicas((e.target as HTMLInputElement).value)} style="width:5rem" /></label>
      <label>Batch rows <input type="number" min="1" value={rows} onInput={(e) => setRows((e.target as HTMLInputElement).value)} style="width:6rem" /></label>
      <label>Batch delay ms <input type="number" min="0" value={delay} onInput={(e) => setDelay((e.target as HTMLInputElement).value)} style="width:6rem" /></label>
      <button type="submit" class="primary" disabled={busy}>{d ? 'Redeploy' : 'Deploy'}</button>
    </form>
  )
}
