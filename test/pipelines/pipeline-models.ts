/** Small ONNX models that chain: `scale` (x → y = k·x) then `total` (y → score = Σy), written per test home. */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { QuiverApi } from '../../src/api/quiver-api.js'
import { buildOnnxModel } from '../fixtures/onnx/build-onnx.js'

const N = 'N'

export async function writeScale(dir: string, k: number, file = `scale-${k}.onnx`): Promise<string> {
  const path = join(dir, file)
  await writeFile(path, buildOnnxModel({
    name: 'scale',
    inputs: [{ name: 'x', type: 'float32', shape: [N, 3] }],
    outputs: [{ name: 'y', type: 'float32', shape: [N, 3] }],
    initializers: [{ name: 'k', type: 'float32', dims: [1], values: [k] }],
    nodes: [{ op: 'Mul', inputs: ['x', 'k'], outputs: ['y'] }],
  }))
  return path
}

/** Σ of its 3-wide input, as `score` (list<float32>[1]); `input` names the input field. */
export async function writeTotal(dir: string, input = 'y', file = `total-${input}.onnx`): Promise<string> {
  const path = join(dir, file)
  await writeFile(path, buildOnnxModel({
    name: 'total',
    inputs: [{ name: input, type: 'float32', shape: [N, 3] }],
    outputs: [{ name: 'score', type: 'float32', shape: [N, 1] }],
    initializers: [{ name: 'ones', type: 'float32', dims: [3, 1], values: [1, 1, 1] }],
    nodes: [{ op: 'MatMul', inputs: [input, 'ones'], outputs: ['score'] }],
  }))
  return path
}

/** A model taking 4 wide floats: its input cannot be fed by `scale`. */
export async function writeWide(dir: string): Promise<string> {
  const path = join(dir, 'wide.onnx')
  await writeFile(path, buildOnnxModel({
    name: 'wide',
    inputs: [{ name: 'y', type: 'float32', shape: [N, 4] }],
    outputs: [{ name: 'w', type: 'float32', shape: [N, 4] }],
    nodes: [{ op: 'Add', inputs: ['y', 'y'], outputs: ['w'] }],
  }))
  return path
}

/** Uploads scale (k=2 tagged prod, then k=3), total and wide as ONNX models. */
export async function uploadChainModels(api: QuiverApi, dir: string): Promise<void> {
  await api.uploadModel({ name: 'scale', source: { path: await writeScale(dir, 2) }, framework: 'onnx', tags: ['prod'] })
  await api.uploadModel({ name: 'scale', source: { path: await writeScale(dir, 3) }, framework: 'onnx' })
  await api.uploadModel({ name: 'total', source: { path: await writeTotal(dir) }, framework: 'onnx' })
  await api.uploadModel({ name: 'total-v', source: { path: await writeTotal(dir, 'v') }, framework: 'onnx' })
  await api.uploadModel({ name: 'wide', source: { path: await writeWide(dir) }, framework: 'onnx' })
}

export const rows = (...xs: number[][]) => ({ kind: 'json' as const, value: xs.map((x) => ({ x })) })
