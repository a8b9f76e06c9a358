/**
 * The two doors every hostile body is sent through: a real `quiver serve` child process and the
 * embedded app (createApp over a local core, in process), each with the iris ONNX model uploaded.
 */
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createLocalQuiver } from '../../src/api/create-local.js'
import type { LocalQuiverApi } from '../../src/api/local-api.js'
import { createApp } from '../../src/server/app.js'
import { serve, type Served } from '../helpers/serve.js'

export const IRIS_ONNX = join(import.meta.dirname, '../fixtures/models/onnx-mlp-iris/model.onnx')

export interface Door {
  name: 'served' | 'embedded'
  request(path: string, init?: RequestInit): Promise<Response>
}

export interface Doors {
  doors: Door[]
  /** The embedded door's core, for calling the API directly. */
  api: LocalQuiverApi
  served: Served
  close(): Promise<void>
}

export async function openDoors(env: NodeJS.ProcessEnv = {}): Promise<Doors> {
  const homes = [await mkdtemp(join(tmpdir(), 'quiver-sec-served-')), await mkdtemp(join(tmpdir(), 'quiver-sec-embedded-'))]
  const served = await serve(homes[0]!, [], env)
  const api = await createLocalQuiver({ home: homes[1]!, databaseUrl: '' })
  const { app } = createApp({ api })
  const doors: Door[] = [
    { name: 'served', request: (path, init) => fetch(`${served.url}${path}`, init) },
    { name: 'embedded', request: async (path, init) => app.request(path, init) },
  ]
  const model = await readFile(IRIS_ONNX)
  for (const door of doors) {
    const form = new FormData()
    form.append('name', 'iris')
    form.append('framework', 'onnx')
    form.append('file', new Blob([model]), 'model.onnx')
    const res = await door.request('/v1/models', { method: 'POST', body: form })
    if (res.status !== 201) throw new Error(`upload through ${door.name} answered ${res.status}: ${await res.text()}`)
  }
  return {
    doors, api, served,
    async close() {
      served.child.kill()
      await new Promise((r) => served.child.once('exit', r))
      await api.close()
      for (const h of homes) await rm(h, { recursive: true, force: true })
    },
  }
}

const JSON_HEADERS = { 'content-type': 'application/json' }

/** The door still answers health and a valid inference after a refused request. */
export async function stillServes(door: Door): Promise<void> {
  const live = await door.request('/v2/health/live')
  if (live.status !== 200) throw new Error(`${door.name}: /v2/health/live answered ${live.status}`)
  const ok = await door.request('/v1/models/iris/infer', { method: 'POST', headers: JSON_HEADERS, body: '[{"features": [5.1, 3.5, 1.4, 0.2]}]' })
  if (ok.status !== 200) throw new Error(`${door.name}: a valid inference answered ${ok.status}: ${await ok.text()}`)
}

/** The error message of a /v1 (`{error: {message}}`) or /v2 (`{error}`) answer. */
export async function errorText(res: Response): Promise<string> {
  const text = await res.text()
  try {
    const body = JSON.parse(text) as { error?: string | { message?: string } }
    return typeof body.error === 'string' ? body.error : body.error?.message ?? text
  } catch {
    return text
  }
}
