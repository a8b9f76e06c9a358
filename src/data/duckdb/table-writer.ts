/**
 * Record batches → one output file, the format chosen by its extension (`.parquet`, `.csv`,
 * `.json`, `.arrow`), with bounded memory: Arrow IPC is streamed straight to disk; the formats
 * DuckDB writes are spilled as Parquet parts of a few hundred thousand rows and joined by one
 * streaming COPY at the end. Everything goes to a private name first and is renamed into place
 * when complete, so a failure never leaves a half-written output.
 */
import { open, mkdtemp, rename, rm, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import * as arrow from 'apache-arrow'
import { sqlString, withConnection } from './database.js'
import { copyQueryTo, formatOfPath, writeArrowFile, type FileFormat } from './files.js'

const PART_ROWS = 262_144

export class TableFileWriter {
  readonly path: string
  readonly format: FileFormat
  #rows = 0
  #schema?: arrow.Schema
  #partial = ''
  #parts: string[] = []
  #pending: arrow.RecordBatch[] = []
  #pendingRows = 0
  #partsDir = ''
  #ipc?: { writer: arrow.RecordBatchWriter; file: FileHandle; pump: Promise<void> }

  private constructor(path: string, format: FileFormat) {
    this.path = path
    this.format = format
  }

  /** A writer for `path`; refuses an unknown extension before anything is read. */
  static async open(path: string): Promise<TableFileWriter> {
    const w = new TableFileWriter(path, formatOfPath(path))
    w.#partial = join(dirname(path), `.${basename(path)}.partial-${process.pid}`)
    if (w.format === 'arrow') {
      const file = await open(w.#partial, 'w')
      const writer = new arrow.RecordBatchFileWriter()
      const pump = (async () => {
        for await (const bytes of writer) await file.write(bytes)
      })()
      w.#ipc = { writer, file, pump }
    } else {
      w.#partsDir = await mkdtemp(join(dirname(path), `.${basename(path)}.parts-`))
    }
    return w
  }

  get rows(): number {
    return this.#rows
  }

  async write(batch: arrow.RecordBatch): Promise<void> {
    this.#schema ??= batch.schema
    this.#rows += batch.numRows
    if (this.#ipc) {
      this.#ipc.writer.write(batch)
      return
    }
    this.#pending.push(batch)
    this.#pendingRows += batch.numRows
    if (this.#pendingRows >= PART_ROWS) await this.#spill()
  }

  async #spill(): Promise<void> {
    if (this.#pending.length === 0) return
    const part = join(this.#partsDir, `part-${String(this.#parts.length).padStart(6, '0')}.parquet`)
    await writeArrowFile(new arrow.Table(this.#pending[0]!.schema, this.#pending), part, 'parquet')
    this.#parts.push(part)
    this.#pending = []
    this.#pendingRows = 0
  }

  /** Completes the file (an empty one of `schema` when nothing was written) and moves it into place. */
  async close(schema?: arrow.Schema): Promise<number> {
    try {
      if (this.#ipc) {
        if (this.#rows === 0 && schema) this.#ipc.writer.write(new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: 0, nullCount: 0, children: schema.fields.map((f) => arrow.makeData({ type: f.type, length: 0 }) as arrow.Data) })))
        this.#ipc.writer.finish()
        await this.#ipc.pump
        await this.#ipc.file.close()
      } else {
        if (this.#parts.length === 0 && this.#pending.length === 0) {
          const s = schema ?? this.#schema ?? new arrow.Schema([])
          this.#pending.push(new arrow.RecordBatch(s, arrow.makeData({ type: new arrow.Struct(s.fields), length: 0, nullCount: 0, children: s.fields.map((f) => arrow.makeData({ type: f.type, length: 0 }) as arrow.Data) })))
        }
        await this.#spill()
        const list = `[${this.#parts.map(sqlString).join(', ')}]`
        await withConnection((c) => copyQueryTo(c, `SELECT * FROM read_parquet(${list})`, this.#partial, this.format as 'parquet' | 'csv' | 'json'))
        await rm(this.#partsDir, { recursive: true, force: true })
      }
      await rename(this.#partial, this.path)
      return this.#rows
    } catch (err) {
      await this.abort()
      throw err
    }
  }

  /** Removes whatever was written; the output path is left as it was. */
  async abort(): Promise<void> {
    if (this.#ipc) {
      try {
        this.#ipc.writer.abort()
        await this.#ipc.file.close()
      } catch { /* already closed */ }
    }
    if (this.#partsDir) await rm(this.#partsDir, { recursive: true, force: true })
    await rm(this.#partial, { force: true })
  }
}
