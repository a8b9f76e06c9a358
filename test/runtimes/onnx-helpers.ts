import { join } from 'node:path'
import * as arrow from 'apache-arrow'
import type { ModelSchema } from '../../src/data/schema.js'
import type { VersionConfig } from '../../src/registry/version-record.js'
import type { LoadContext, LoadableVersion } from '../../src/runtimes/runtime.js'
import { FIXTURE_DIR } from '../fixtures/onnx/build-onnx.js'

export const ONNX_DIR = FIXTURE_DIR
export const IRIS_DIR = join(FIXTURE_DIR, '..', 'models', 'onnx-mlp-iris')

export function version(fileName: string, opts: { input?: ModelSchema; output?: ModelSchema; config?: VersionConfig; name?: string } = {}): LoadableVersion {
  return {
    id: 1,
    name: opts.name ?? fileName.replace(/\.onnx$/, ''),
    version: '00000000-0000-4000-8000-000000000000',
    framework: 'onnx',
    file_name: fileName,
    sha256: '0'.repeat(64),
    input_schema: opts.input ?? null,
    output_schema: opts.output ?? null,
    metadata: {},
    additional_files: {},
    config: opts.config ?? {},
  }
}

export function context(path: string, extracted?: string): LoadContext {
  return {
    artifactPath: async () => path,
    extractedPath: async () => {
      if (!extracted) throw new Error('not an archive')
      return extracted
    },
    additionalFilePath: async (name) => {
      throw new Error(`no additional file ${name}`)
    },
    progress: () => {},
  }
}

/** A fixed-size list column of `type` from row arrays, nested to any depth. */
export function listColumn(rows: unknown[], type: arrow.DataType): arrow.Vector {
  return arrow.vectorFromArray(rows, type)
}

export function fsl(size: number, child: arrow.DataType): arrow.FixedSizeList {
  return new arrow.FixedSizeList(size, new arrow.Field('item', child, true))
}

/** A column as plain JS values (nested lists as arrays, bigints kept). */
export function columnValues(table: arrow.Table, name: string): unknown[] {
  const col = table.getChild(name)
  if (!col) throw new Error(`no column ${name}`)
  const plain = (v: unknown): unknown => (v instanceof arrow.Vector ? [...v].map(plain) : v)
  return [...col].map(plain)
}
