import { join } from 'node:path'
import * as arrow from 'apache-arrow'
import type { ModelSchema } from '../../src/data/schema.js'
import type { VersionConfig } from '../../src/records/version-record.js'
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

/** Two rows for identity-types.onnx: one column of every tensor element type it echoes. */
export function identityTypesInput(): arrow.Table {
  const f16 = arrow.makeData({ type: fsl(2, new arrow.Float16()), length: 2, child: arrow.makeData({ type: new arrow.Float16(), data: new Uint16Array([0x3c00, 0x4000, 0xc000, 0]) }) })
  return new arrow.Table({
    i64: arrow.vectorFromArray([[1n, -2n], [9007199254740993n, 4n]], fsl(2, new arrow.Int64())),
    f64: arrow.vectorFromArray([0.1, -2.5], new arrow.Float64()),
    flag: arrow.vectorFromArray([true, false], new arrow.Bool()),
    text: arrow.vectorFromArray(['héllo', ''], new arrow.Utf8()),
    i32: arrow.vectorFromArray([-7, 2147483647], new arrow.Int32()),
    u8: arrow.vectorFromArray([[0, 128, 255], [1, 2, 3]], fsl(3, new arrow.Uint8())),
    i8: arrow.vectorFromArray([-128, 127], new arrow.Int8()),
    i16: arrow.vectorFromArray([-300, 300], new arrow.Int16()),
    f16: arrow.makeVector(f16),
  })
}
