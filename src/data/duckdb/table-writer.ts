/**
 * Record batches → one output file, the format chosen by its extension (`.parquet`, `.csv`,
 * `.json`, `.arrow`), with bounded memory: Arrow IPC is streamed straight to disk; for the formats
 * DuckDB writes, batches are appended to a DuckDB table as they come and written by one COPY at
 * the end. Past TABLE_BYTES the table is spilled as a Parquet part and emptied, and the parts are
 * joined by one streaming COPY at the end. Everything goes to a private name first and is renamed
 * into place when complete, so a failure never leaves a half-written output.
 */
import { open, mkdtemp, rename, rm, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import * as arrow from 'apache-arrow'
import { appendArrow, duckTypeOf } from './arrow-to-duckdb.js'
import { sqlIdent, sqlString, tempName, withConnection } from './database.js'
import { copyQueryTo, formatOfPath, type FileFormat } from './files.js'

/** Arrow bytes held in the DuckDB table before it is spilled as a part. */
const TABLE_BYTES = 256 << 20

export class TableFileWriter {
  readonly path: string
  readonly format: FileFormat
  #rows = 0
  #schema?: arrow.Schema
  #partial = ''
  #parts: string[] = []
  /** The DuckDB table batches are appended to (created on the first batch), and its Arrow bytes so far. */
  #table = ''
  #tableBytes = 0
  #partsDir = ''
  #ipc?: { writer: arrow.RecordBatchWriter; file: FileHandle; pump: Promise<void> }

  readonly #spillBytes: number

  private constructor(path: string, format: FileFormat, spillBytes: number) {
    this.path = path
    this.format = format
    this.#spillBytes = spillBytes
  }

  /** A writer for `path`; refuses an unknown extension before anything is read. `spillBytes`: TABLE_BYTES unless given. */
  static async open(path: string, opts: { spillBytes?: number } = {}): Promise<TableFileWriter> {
    const w = new TableFileWriter(path, formatOfPath(path), opts.spillBytes ?? TABLE_BYTES)
    w.#partial = join(dirname(path), `.${basename(path)}.partial-${process.pid}`)
    if (w.format === 'arrow') {
      const file = await open(w.#partial, 'w')
      const writer = new arrow.RecordBatchFileWriter()
      const pump = (async () => {
        for await (const bytes of writer) await file.write(bytes)
      })()
      w.#ipc = { writer, file, pump }
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
    if (!this.#table) {
      this.#table = tempName('out')
      const name = this.#table
      await withConnection((c) => c.run(`CREATE TABLE ${sqlIdent(name)} (${batch.schema.fields.map((f) => `${sqlIdent(f.name)} ${duckTypeOf(f.type)}`).join(', ')})`))
    }
    await withConnection((c) => appendArrow(c, this.#table, [batch]))
    this.#tableBytes += batch.data.byteLength
    if (this.#tableBytes >= this.#spillBytes) await this.#spill()
  }

  /** Writes the table out as a Parquet part and empties it. */
  async #spill(): Promise<void> {
    this.#partsDir ||= await mkdtemp(join(dirname(this.path), `.${basename(this.path)}.parts-`))
    const part = join(this.#partsDir, `part-${String(this.#parts.length).padStart(6, '0')}.parquet`)
    const table = sqlIdent(this.#table)
    await withConnection(async (c) => {
      await copyQueryTo(c, `SELECT * FROM ${table}`, part, 'parquet')
      await c.run(`DELETE FROM ${table}`)
    })
    this.#parts.push(part)
    this.#tableBytes = 0
  }

  /**
   * Completes the file (an empty one of `schema` when nothing was written) and moves it into place.
   * `select` makes the query written from the relation holding the batches (default: all of it),
   * e.g. to join them by position to a table DuckDB reads itself.
   */
  async close(schema?: arrow.Schema, select: (written: string) => string = (written) => `SELECT * FROM ${written}`): Promise<number> {
    try {
      if (this.#ipc) {
        if (this.#rows === 0 && schema) this.#ipc.writer.write(new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: 0, nullCount: 0, children: schema.fields.map((f) => arrow.makeData({ type: f.type, length: 0 }) as arrow.Data) })))
        this.#ipc.writer.finish()
        await this.#ipc.pump
        await this.#ipc.file.close()
      } else {
        if (!this.#table) {
          const s = schema ?? this.#schema ?? new arrow.Schema([])
          await this.write(new arrow.RecordBatch(s, arrow.makeData({ type: new arrow.Struct(s.fields), length: 0, nullCount: 0, children: s.fields.map((f) => arrow.makeData({ type: f.type, length: 0 }) as arrow.Data) })))
        }
        const format = this.format as 'parquet' | 'csv' | 'json'
        if (this.#parts.length === 0) {
          await withConnection((c) => copyQueryTo(c, select(sqlIdent(this.#table)), this.#partial, format))
        } else {
          if (this.#tableBytes > 0) await this.#spill()
          const list = `[${this.#parts.map(sqlString).join(', ')}]`
          await withConnection((c) => copyQueryTo(c, select(`read_parquet(${list})`), this.#partial, format))
        }
        await this.#dropTable()
        if (this.#partsDir) await rm(this.#partsDir, { recursive: true, force: true })
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
    await this.#dropTable().catch(() => {})
    if (this.#partsDir) await rm(this.#partsDir, { recursive: true, force: true })
    await rm(this.#partial, { force: true })
  }

  async #dropTable(): Promise<void> {
    const name = this.#table
    if (!name) return
    this.#table = ''
    await withConnection((c) => c.run(`DROP TABLE IF EXISTS ${sqlIdent(name)}`))
  }
}
