/**
 * The body of one ONNX worker thread: loads the model into its own onnxruntime session, then
 * answers run requests in arrival order. Output arrays are transferred back, not copied. Kept
 * free of Quiver imports so a thread starts with onnxruntime alone.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { InferenceSession, Tensor } from 'onnxruntime-node'
import type { ThreadReply, ThreadRequest, ThreadSetup, WireTensor } from './onnx-thread-pool.js'

const port = parentPort
if (!port) throw new Error('onnx-thread-worker runs only as a worker thread')
const setup = workerData as ThreadSetup
const closing = new Int32Array(setup.closing)

const reply = (message: ThreadReply, transfer: ArrayBuffer[] = []): void => {
  try {
    port.postMessage(message, transfer)
  } catch {
    // A buffer onnxruntime will not let go of is copied instead.
    port.postMessage(message)
  }
}

let session: InferenceSession
let TensorClass: typeof Tensor
try {
  const ort = await import('onnxruntime-node')
  TensorClass = ort.Tensor
  session = await ort.InferenceSession.create(setup.modelPath, setup.sessionOptions)
} catch (err) {
  reply({ kind: 'failed', message: err instanceof Error ? err.message : String(err) })
  port.close()
  process.exit(0)
}

port.on('message', async (req: ThreadRequest) => {
  // No run is inside onnxruntime now (runs are synchronous on this thread), so ending is safe;
  // ending without yielding first keeps runs already scheduled from starting.
  if (req.kind === 'close') process.exit(0)
  // The pool has already failed the runs queued before it closed.
  if (Atomics.load(closing, 0) === 1) return
  try {
    const feeds: Record<string, Tensor> = {}
    for (const f of req.feeds) feeds[f.name] = new TensorClass(f.type, f.data as never, f.dims)
    const results = await session.run(feeds, req.fetches)
    const outputs: WireTensor[] = []
    const transfer = new Set<ArrayBuffer>()
    for (const name of req.fetches) {
      const t = results[name]
      if (!t) continue
      const data = t.data as WireTensor['data']
      if (!Array.isArray(data) && data.buffer instanceof ArrayBuffer) transfer.add(data.buffer)
      outputs.push({ name, type: t.type as WireTensor['type'], data, dims: t.dims.map(Number) })
    }
    reply({ kind: 'result', id: req.id, outputs }, [...transfer])
  } catch (err) {
    reply({ kind: 'error', id: req.id, message: err instanceof Error ? err.message : String(err) })
  }
})
reply({ kind: 'ready' })
