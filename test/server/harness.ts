/** An app over a real local core on a temporary home, for in-process handler tests. */
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as arrow from 'apache-arrow'
import { createLocalQuiver } from '../../src/api/create-local.js'
import { toArrowSchema } from '../../src/data/schema.js'
import type { LocalQuiverApi } from '../../src/api/local-api.js'
import { createApp, type AppOptions, type QuiverApp } from '../../src/server/app.js'

export const IRIS_DIR = join(import.meta.dirname, '../fixtures/models/onnx-mlp-iris')
export const IRIS_ONNX = join(IRIS_DIR, 'model.onnx')
export const PROTOCOL = join(import.meta.dirname, '../fixtures/protocol')

export async function golden(name: string): Promise<any> {
  return JSON.parse(await readFile(join(PROTOCOL, name), 'utf8'))
}

export interface Harness extends QuiverApp {
  home: string
  api: LocalQuiverApi
  /** Files under the artifact store (blobs and any temporaries). */
  blobCount(): Promise<number>
  close(): Promise<void>
}

type HarnessOptions = Omit<AppOptions, 'api'>

export async function openHarness(opts: HarnessOptions | ((api: LocalQuiverApi) => HarnessOptions) = {}): Promise<Harness> {
  const home = await mkdtemp(join(tmpdir(), 'quiver-server-test-'))
  const api = await createLocalQuiver({ home, databaseUrl: '' })
  const built = createApp({ ...(typeof opts === 'function' ? opts(api) : opts), api })
  return {
    ...built,
    home,
    api,
    async blobCount() {
      const entries = await readdir(join(home, 'artifacts'), { withFileTypes: true, recursive: true }).catch(() => [])
      return entries.filter((e) => e.isFile()).length
    },
    async close() {
      await api.close()
      await rm(home, { recursive: true, force: true })
    },
  }
}

/** A multipart upload form for `app.request` (fields first, file last). */
export async function uploadForm(fields: Record<string, string | string[]>, file?: { path: string; name?: string }): Promise<FormData> {
  const form = new FormData()
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) form.append(k, one)
  if (file) form.append('file', new Blob([await readFile(file.path)]), file.name ?? 'model.onnx')
  return form
}

export async function json(res: Response): Promise<any> {
  const text = await res.text()
  try {
    return JSON.parse(text)
  } catch {
    throw new Error(`expected JSON, got ${res.status}: ${text.slice(0, 300)}`)
  }
}

/** Floats agree within the fixture's tolerance. */
export function close(got: number[], want: number[], abs = 1e-5, rel = 1e-4): boolean {
  return got.length === want.length && got.every((g, i) => Math.abs(g - want[i]!) <= abs + rel * Math.abs(want[i]!))
}

/** The iris model's input table: one non-null `features` column of list<float32>[4]. */
export function irisTable(rows: number[][]): arrow.Table {
  const schema = toArrowSchema([{ name: 'features', type: { list: 'float32', size: 4 }, nullable: false }])
  const type = schema.fields[0]!.type as arrow.FixedSizeList
  const child = arrow.makeData({ type: type.children[0]!.type as arrow.Float32, data: Float32Array.from(rows.flat()) })
  const column = arrow.makeData({ type, length: rows.length, nullCount: 0, child })
  const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length: rows.length, nullCount: 0, children: [column] })
  return new arrow.Table([new arrow.RecordBatch(schema, struct)])
}

/** A request in the Open Inference Protocol's binary tensor data extension: the JSON header, then the raw tensor bytes. */
export function binaryRequest(header: unknown, ...chunks: Uint8Array[]): { method: 'POST'; body: Uint8Array<ArrayBuffer>; headers: Record<string, string> } {
  const head = Buffer.from(JSON.stringify(header))
  return {
    method: 'POST',
    body: new Uint8Array(Buffer.concat([head, ...chunks])),
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(head.byteLength) },
  }
}

/** Splits a binary-extension answer into its JSON and the bytes after it. */
export async function binaryAnswer(res: Response): Promise<{ header: any; tail: Buffer }> {
  const length = Number(res.headers.get('inference-header-content-length'))
  const bytes = Buffer.from(await res.arrayBuffer())
  return { header: JSON.parse(bytes.subarray(0, length).toString()), tail: bytes.subarray(length) }
}
