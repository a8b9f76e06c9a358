/** Pieces every page shares: loading state, paged tables, empty and unavailable states, confirmation. */
import type { ComponentChildren } from 'preact'
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { ApiError, type FieldType, type ModelSchema } from './api.js'

export interface Loaded<T> {
  data: T | undefined
  error: ApiError | Error | undefined
  loading: boolean
  reload: () => void
}

/** Runs `load` when `deps` change; `reload()` runs it again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true })
  const [tick, setTick] = useState(0)
  useEffect(() => {
    let live = true
    setState((s) => ({ ...s, loading: true }))
    load().then((data) => live && setState({ data, loading: false }), (error: Error) => live && setState({ error, loading: false }))
    return () => {
      live = false
    }
  }, [...deps, tick])
  const reload = useCallback(() => setTick((t) => t + 1), [])
  return { data: state.data, error: state.error, loading: state.loading, reload }
}

/** Loading, an error, or the content. A 404 from an endpoint this server lacks shows `unavailable`. */
export function Show<T>({ l, children, unavailable }: { l: Loaded<T>; children: (data: T) => ComponentChildren; unavailable?: ComponentChildren }) {
  if (l.error) {
    if (unavailable && l.error instanceof ApiError && l.error.status === 404 && /no route/.test(l.error.message)) return <>{unavailable}</>
    return <p class="error" role="alert">{l.error.message}</p>
  }
  if (l.data === undefined) return <p class="muted" aria-busy="true">Loading…</p>
  return <>{children(l.data)}</>
}

export function Empty({ title, command, children }: { title: string; command?: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <p><strong>{title}</strong></p>
      {children}
      {command && <pre class="cmd"><code>{command}</code></pre>}
    </div>
  )
}

export function Unavailable({ what, command }: { what: string; command?: string }) {
  return (
    <div class="empty" data-state="unavailable">
      <p><strong>{what} is not available on this server.</strong></p>
      <p class="muted">Its endpoint answered 404: this server is older than the page. The command line has it:</p>
      {command && <pre class="cmd"><code>{command}</code></pre>}
    </div>
  )
}

/** Long lists are shown a page at a time. */
export function usePaged<T>(rows: T[], size = 25): { page: T[]; pager: ComponentChildren } {
  const [at, setAt] = useState(0)
  const pages = Math.max(1, Math.ceil(rows.length / size))
  const p = Math.min(at, pages - 1)
  useEffect(() => setAt(0), [rows.length])
  const pager = rows.length > size ? (
    <nav class="pager" aria-label="pages">
      <button type="button" disabled={p === 0} onClick={() => setAt(p - 1)}>‹ Previous</button>
      <span>{p * size + 1}–{Math.min(rows.length, (p + 1) * size)} of {rows.length}</span>
      <button type="button" disabled={p >= pages - 1} onClick={() => setAt(p + 1)}>Next ›</button>
    </nav>
  ) : null
  return { page: rows.slice(p * size, (p + 1) * size), pager }
}

export function typeName(t: FieldType): string {
  if (typeof t === 'string') return t
  if ('list' in t) return t.size === null ? `list<${typeName(t.list)}>` : `list<${typeName(t.list)}>[${t.size}]`
  if ('struct' in t) return `struct<${t.struct.map((f) => `${f.name}: ${typeName(f.type)}`).join(', ')}>`
  return JSON.stringify(t)
}

export function SchemaTable({ schema, label }: { schema: ModelSchema | null; label: string }) {
  if (!schema || schema.length === 0) return <p class="muted">No {label.toLowerCase()}.</p>
  return (
    <table aria-label={label}>
      <thead><tr><th>Field</th><th>Type</th><th>Nullable</th></tr></thead>
      <tbody>
        {schema.map((f) => <tr key={f.name}><td><code>{f.name}</code></td><td><code>{typeName(f.type)}</code></td><td>{f.nullable === false ? 'no' : 'yes'}</td></tr>)}
      </tbody>
    </table>
  )
}

export function KeyValues({ data, label }: { data: Record<string, unknown>; label: string }) {
  const entries = Object.entries(data)
  if (entries.length === 0) return <p class="muted">No {label.toLowerCase()}.</p>
  return (
    <table aria-label={label}>
      <tbody>
        {entries.map(([k, v]) => <tr key={k}><th scope="row">{k}</th><td><code class="wrap">{typeof v === 'string' ? v : JSON.stringify(v)}</code></td></tr>)}
      </tbody>
    </table>
  )
}

export function StatusBadge({ status }: { status: string }) {
  const busy = status === 'pending_conversion' || status === 'converting'
  return <span class={`badge status-${status}`}>{busy && <span class="spinner" aria-hidden="true" />}{status}</span>
}

/** A modal question; resolves to whether the user confirmed. Escape cancels, focus starts on Cancel. */
export function Confirm({ open, title, children, confirmLabel, onClose }: {
  open: boolean; title: string; children: ComponentChildren; confirmLabel: string; onClose: (ok: boolean) => void
}) {
  const ref = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    const d = ref.current
    if (!d) return
    if (open && !d.open) d.showModal()
    if (!open && d.open) d.close()
  }, [open])
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onCancel={(e) => { e.preventDefault(); onClose(false) }}>
      <h2 id="confirm-title">{title}</h2>
      <div>{children}</div>
      <div class="actions">
        <button type="button" autofocus onClick={() => onClose(false)}>Cancel</button>
        <button type="button" class="primary" onClick={() => onClose(true)}>{confirmLabel}</button>
      </div>
    </dialog>
  )
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = n / 1024
  let u = 0
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  return `${v.toFixed(1)} ${units[u]}`
}
