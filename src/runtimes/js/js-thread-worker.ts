/**
 * The thread of a CPU-heavy `js` model: imports the module, loads it once, then answers runs.
 * Tables cross as Arrow IPC bytes (transferred, not copied); the answer is checked here so that
 * only a table of the output schema travels back.
 */
import { parentPort, workerData } from 'node:worker_threads'
import * as arrow from 'apache-arrow'
import { errorMessage } from '../../errors.js'
import { answerTable } from '../answer-table.js'
import { importModule, loadModule, type JsModel } from './js-module.js'
import { runInfer } from './js-session.js'
import type { JsThreadReply, JsThreadRequest, JsThreadSetup } from './js-thread.js'

const setup = workerData as JsThreadSetup
const port = parentPort!

function reply(m: JsThreadReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(m, transfer)
}

let model: JsModel
try {
  model = await loadModule(await importModule(setup.entry), setup.entry.dir)
  reply({ kind: 'ready' })
} catch (err) {
  reply({ kind: 'failed', message: errorMessage(err) })
  process.exit(0)
}

port.on('message', (m: JsThreadRequest) => {
  if (m.kind === 'close') {
    void Promise.resolve(model.close?.()).finally(() => process.exit(0))
    return
  }
  void (async () => {
    try {
      const input = arrow.tableFromIPC(m.ipc)
      const answer = await runInfer(model, input, setup.label)
      const table = answerTable(answer, setup.outputSchema, input.numRows, setup.label)
      const bytes = arrow.tableToIPC(table, 'stream')
      reply({ kind: 'result', id: m.id, ipc: bytes }, [bytes.buffer as ArrayBuffer])
    } catch (err) {
      reply({ kind: 'error', id: m.id, message: errorMessage(err) })
    }
  })()
})
