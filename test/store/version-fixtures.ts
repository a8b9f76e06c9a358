import { randomBytes, randomUUID } from 'node:crypto'
import type { NewVersion } from '../../src/store/store.js'

let counter = 0
/** A model or workspace name no other test in this run uses. */
export function uniqueName(prefix = 'm'): string {
  return `${prefix}-${randomBytes(3).toString('hex')}-${++counter}`
}

/** A 64-hex digest made from a readable seed. */
export function sha(seed: string): string {
  return Buffer.from(seed.padEnd(32, '.').slice(0, 32)).toString('hex')
}

export function newVersion(over: Partial<NewVersion> & { name: string }): NewVersion {
  return {
    workspace: 'default', version: randomUUID(), file_name: 'model.onnx', sha256: sha('main'), size_bytes: 1234,
    framework: 'onnx', runtime: 'native', status: 'ready', input_schema: null, output_schema: null,
    arch: 'x86', accel: 'none', image_path: null, description: null, metadata: {}, additional_files: {}, config: {},
    ...over,
  }
}
