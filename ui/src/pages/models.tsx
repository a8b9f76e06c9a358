/** Models: search by name, filter by framework; latest version and tags at a glance. */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { api, type ModelSummary } from '../api.js'
import { Empty, Show, useLoad, usePaged, when } from '../components.js'
import { href } from '../router.js'

export function ModelsPage() {
  const l = useLoad(() => api<ModelSummary[]>('/models'), [])
  return (
    <>
      <h1>Models</h1>
      <Show l={l}>{(models) => <ModelList models={models} />}</Show>
    </>
  )
}

function ModelList({ models }: { models: ModelSummary[] }) {
  const [q, setQ] = useState('')
  const [fw, setFw] = useState('')
  const frameworks = useMemo(() => [...new Set(models.map((m) => m.framework))].sort(), [models])
  const shown = useMemo(() => models.filter((m) => m.name.includes(q.trim().toLowerCase()) && (!fw || m.framework === fw)), [models, q, fw])
  const { page, pager } = usePaged(shown)
  const search = useRef<HTMLInputElement>(null)
  // "/" jumps to the search box, as on most sites with one.
  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      if (e.key === '/' && !(e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement)) {
        e.preventDefault()
        search.current?.focus()
      }
    }
    addEventListener('keydown', on)
    return () => removeEventListener('keydown', on)
  }, [])
  if (models.length === 0) return <Empty title="No models yet." command="quiver upload iris model.onnx --framework onnx --tag production" />
  return (
    <>
      <div class="toolbar" role="search">
        <label>Search <input ref={search} type="search" placeholder="model name (press /)" aria-keyshortcuts="/" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} /></label>
        <label>Framework{' '}
          <select value={fw} onChange={(e) => setFw((e.target as HTMLSelectElement).value)}>
            <option value="">all</option>
            {frameworks.map((f) => <option key={f} value={f}>{f}</option>)}
          </select>
        </label>
        <span class="muted">{shown.length} of {models.length}</span>
      </div>
      {shown.length === 0 ? <p class="muted">No model matches.</p> : (
        <table aria-label="models">
          <thead><tr><th>Name</th><th>Framework</th><th>Versions</th><th>Latest</th><th>Tags</th><th>Updated</th></tr></thead>
          <tbody>
            {page.map((m) => (
              <tr key={m.name}>
                <td><a href={href('models', m.name)}>{m.name}</a></td>
                <td><code>{m.framework}</code></td>
                <td>{m.versions}</td>
                <td>{m.latest_seq === null ? <span class="muted">none ready</span> : <a href={href('models', m.name, m.latest_seq)}>#{m.latest_seq}</a>}</td>
                <td>{m.tags.map((t) => <span key={t} class="tag">{t}</span>)}</td>
                <td>{when(m.last_update_time)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {pager}
    </>
  )
}
