/** One model: its versions, and one version in full (status, digests, schemas, metadata, files, runtime, tags). */
import { useEffect, useState } from 'preact/hooks'
import { api, canEdit, enc, type VersionRecord, type WhoAmI } from '../api.js'
import { bytes, Confirm, Empty, KeyValues, SchemaTable, Show, StatusBadge, useLoad, usePaged, when } from '../components.js'
import { href } from '../router.js'

const BUSY = new Set(['pending_conversion', 'converting'])

export function ModelPage({ name, seq, me }: { name: string; seq?: string; me: WhoAmI }) {
  const l = useLoad(() => api<VersionRecord[]>(`/models/${enc(name)}/versions`), [name])
  // Live status: while a version converts, ask again every second.
  const converting = l.data?.some((v) => BUSY.has(v.status)) ?? false
  useEffect(() => {
    if (!converting) return
    const t = setInterval(l.reload, 1000)
    return () => clearInterval(t)
  }, [converting])
  return (
    <>
      <p class="crumbs"><a href={href('models')}>Models</a> / {name}</p>
      <h1>{name}</h1>
      <Show l={l}>{(versions) => <Versions name={name} versions={versions} seq={seq} me={me} onChange={l.reload} />}</Show>
    </>
  )
}

function Versions({ name, versions, seq, me, onChange }: { name: string; versions: VersionRecord[]; seq?: string; me: WhoAmI; onChange: () => void }) {
  const newestFirst = [...versions].sort((a, b) => b.seq - a.seq)
  const { page, pager } = usePaged(newestFirst, 15)
  if (versions.length === 0) return <Empty title="This model has no versions." command={`quiver upload ${name} PATH --framework F`} />
  const latest = newestFirst.find((v) => v.status === 'ready')
  const selected = versions.find((v) => String(v.seq) === seq) ?? latest ?? newestFirst[0]!
  return (
    <div class="split">
      <section aria-label="versions">
        <h2>Versions</h2>
        <table aria-label="versions">
          <thead><tr><th>#</th><th>Status</th><th>Tags</th><th>Created</th></tr></thead>
          <tbody>
            {page.map((v) => (
              <tr key={v.seq} aria-selected={v.seq === selected.seq} class={v.seq === selected.seq ? 'selected' : ''}>
                <td><a href={href('models', name, v.seq)}>#{v.seq}</a>{v === latest && <span class="tag latest">latest</span>}</td>
                <td><StatusBadge status={v.status} /></td>
                <td>{v.tags.map((t) => <span key={t} class="tag">{t}</span>)}</td>
                <td>{when(v.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {pager}
        <p class="muted">Lineage: <a href={href('lineage', name)}>{name} upstream and downstream</a></p>
      </section>
      <VersionDetail v={selected} versions={versions} me={me} onChange={onChange} />
    </div>
  )
}

function VersionDetail({ v, versions, me, onChange }: { v: VersionRecord; versions: VersionRecord[]; me: WhoAmI; onChange: () => void }) {
  const ref = `${v.name}#${v.seq}`
  return (
    <section aria-label="version detail" class="detail">
      <h2>{ref} <StatusBadge status={v.status} /></h2>
      {v.error_message && <p class="error" role="alert">{v.error_message}</p>}
      {BUSY.has(v.status) && <p class="muted" aria-live="polite">Converting: this page follows the status as it changes ({v.status}, updated {when(v.last_update_time)}).</p>}
      <table aria-label="version facts">
        <tbody>
          <tr><th scope="row">Version</th><td><code>{v.version}</code></td></tr>
          <tr><th scope="row">Framework</th><td><code>{v.framework}</code></td></tr>
          <tr><th scope="row">Runtime</th><td><code>{v.runtime}</code>{v.config?.runtime_detail ? <> — {v.config.runtime_detail}</> : null}</td></tr>
          {v.config?.serving && <tr><th scope="row">Serving</th><td>{v.config.serving.mode === 'batch' ? 'rows batched' : `one call per row: ${v.config.serving.reason}`}</td></tr>}
          {v.config?.converted && <tr><th scope="row">Converted</th><td>{v.config.converted.summary} ({bytes(v.config.converted.size_bytes)})</td></tr>}
          <tr><th scope="row">File</th><td><code>{v.file_name}</code> ({bytes(v.size_bytes)})</td></tr>
          <tr><th scope="row">SHA-256</th><td><code class="wrap" data-testid="sha256">{v.sha256}</code></td></tr>
          <tr><th scope="row">Arch / accel</th><td>{v.arch} / {v.accel}</td></tr>
          {v.description && <tr><th scope="row">Description</th><td>{v.description}</td></tr>}
          <tr><th scope="row">Created</th><td>{when(v.created_at)}</td></tr>
          <tr><th scope="row">Updated</th><td>{when(v.last_update_time)}</td></tr>
        </tbody>
      </table>
      <Tags v={v} versions={versions} editable={canEdit(me)} onChange={onChange} />
      <h3>Input schema</h3>
      <SchemaTable schema={v.input_schema} label="Input schema" />
      <h3>Output schema</h3>
      <SchemaTable schema={v.output_schema} label="Output schema" />
      <h3>Metadata</h3>
      <KeyValues data={v.metadata ?? {}} label="Metadata" />
      <h3>Additional files</h3>
      <KeyValues data={v.additional_files ?? {}} label="Additional files" />
    </section>
  )
}

type Pending = { kind: 'move'; tag: string; from?: number } | { kind: 'remove'; tag: string }

function Tags({ v, versions, editable, onChange }: { v: VersionRecord; versions: VersionRecord[]; editable: boolean; onChange: () => void }) {
  const [tag, setTag] = useState('')
  const [pending, setPending] = useState<Pending | null>(null)
  const [error, setError] = useState<string>()
  const holder = (t: string) => versions.find((x) => x.tags.includes(t))?.seq
  const done = async (ok: boolean) => {
    const p = pending
    setPending(null)
    if (!ok || !p) return
    setError(undefined)
    try {
      if (p.kind === 'move') await api(`/models/${enc(`${v.name}#${v.seq}`)}/tags`, { method: 'POST', body: { tag: p.tag } })
      else await api(`/models/${enc(v.name)}/tags/${enc(p.tag)}`, { method: 'DELETE' })
      setTag('')
      onChange()
    } catch (e) {
      setError((e as Error).message)
    }
  }
  const elsewhere = versions.flatMap((x) => (x.seq === v.seq ? [] : x.tags.map((t) => ({ t, seq: x.seq }))))
  return (
    <>
      <h3>Tags</h3>
      <ul class="tags" aria-label="tags">
        {v.tags.length === 0 && <li class="muted">No tags on this version.</li>}
        {v.tags.map((t) => (
          <li key={t}><span class="tag">{t}</span>
            {editable && <button type="button" class="small" aria-label={`remove tag ${t}`} onClick={() => setPending({ kind: 'remove', tag: t })}>Remove</button>}
          </li>
        ))}
      </ul>
      {editable && (
        <form class="toolbar" onSubmit={(e) => { e.preventDefault(); if (tag.trim()) setPending({ kind: 'move', tag: tag.trim(), from: holder(tag.trim()) }) }}>
          <label>Tag this version <input name="tag" list="known-tags" placeholder="production" value={tag} onInput={(e) => setTag((e.target as HTMLInputElement).value)} /></label>
          <datalist id="known-tags">{elsewhere.map(({ t }) => <option key={t} value={t} />)}</datalist>
          <button type="submit" class="primary">Move tag here</button>
        </form>
      )}
      {editable && elsewhere.length > 0 && (
        <p class="muted">Move a tag here (a rollback moves production back): {elsewhere.map(({ t, seq }) => (
          <button key={t} type="button" class="small" onClick={() => setPending({ kind: 'move', tag: t, from: seq })}>{t} (now #{seq})</button>
        ))}</p>
      )}
      {error && <p class="error" role="alert">{error}</p>}
      <Confirm open={pending !== null} title={pending?.kind === 'remove' ? 'Remove tag?' : 'Move tag?'} confirmLabel={pending?.kind === 'remove' ? 'Remove' : 'Move'} onClose={done}>
        {pending?.kind === 'remove' && <p>Remove tag <strong>{pending.tag}</strong> from {v.name}#{v.seq}? References to {v.name}@{pending.tag} stop resolving.</p>}
        {pending?.kind === 'move' && (pending.from !== undefined && pending.from !== v.seq
          ? <p>Move <strong>{pending.tag}</strong> from {v.name}#{pending.from} to {v.name}#{v.seq}? Pipelines following {v.name}@{pending.tag} switch to it.</p>
          : <p>Tag {v.name}#{v.seq} as <strong>{pending.tag}</strong>?</p>)}
      </Confirm>
    </>
  )
}
