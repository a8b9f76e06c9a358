/** A row-split thread: builds converted models from their extracted specs and evaluates row ranges (see row-split-pool.ts). */
import { parentPort } from 'node:worker_threads'
import { buildNativeModel } from './build-native-model.js'
import type { NativeModel } from './native-model.js'
import type { RowSplitReply, RowSplitRequest } from './row-split-pool.js'

const port = parentPort!
const models = new Map<number, NativeModel | Error>()

port.on('message', (m: RowSplitRequest) => {
  if (m.kind === 'load') {
    try {
      models.set(m.key, buildNativeModel(m.spec))
    } catch (err) {
      models.set(m.key, err instanceof Error ? err : new Error(String(err)))
    }
    return
  }
  if (m.kind === 'drop') {
    models.delete(m.key)
    return
  }
  try {
    const model = models.get(m.key)
    if (!model) throw new Error(`model ${m.key} was never loaded in this thread`)
    if (model instanceof Error) throw model
    const out = model.run(m.x, m.rows, new Set(m.roles), m.float32Input)
    const buffers = new Set<ArrayBuffer>()
    for (const a of Object.values(out)) if (a && a.buffer instanceof ArrayBuffer) buffers.add(a.buffer)
    port.postMessage({ kind: 'result', id: m.id, out } satisfies RowSplitReply, [...buffers])
  } catch (err) {
    port.postMessage({ kind: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) } satisfies RowSplitReply)
  }
})
