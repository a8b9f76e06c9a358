/**
 * One pipeline's inference log. `append` only queues the result table (no copy, no I/O), so it
 * costs the request path next to nothing; a timer or a full buffer flushes the queue as a new
 * segment file, off the request. Segments are never modified: retention removes whole files.
 */
import type * as arrow from 'apache-arrow'
import { type LogEntry, type LogEntryMeta, encodeEntries } from './log-batch.js'
import { type LogQuery, querySegments } from './log-query.js'
import type { LogSettings } from './log-settings.js'
import { type Segment, listSegments, openSegments, removeSegment, segmentName, writeSegment } from './segment-files.js'

const RETENTION_EVERY_MS = 5000

export interface LogStats {
  bufferedRows: number
  segments: number
  bytes: number
  /** Rows dropped because the buffer was full (writes could not keep up). */
  droppedRows: number
  /** The last write error, if the most recent flush failed (its rows stay buffered for the next). */
  lastError?: string
}

export class InferenceLog {
  private buffer: LogEntry[] = []
  private bufferedRows = 0
  private droppedRows = 0
  private written = 0
  private flushing: Promise<void> = Promise.resolve()
  private flushQueued = false
  private timer: NodeJS.Timeout | undefined
  private closed = false
  private lastError: string | undefined
  private retainedAt = 0
  private bytesSinceRetention = 0

  private constructor(readonly dir: string, private readonly settings: LogSettings) {}

  /** Opens (creating) the log directory, discarding what an interrupted write left, and applies retention. */
  static async open(dir: string, settings: LogSettings): Promise<InferenceLog> {
    const log = new InferenceLog(dir, settings)
    await log.applyRetention(await openSegments(dir))
    return log
  }

  /** Queues one inference's result table (SPEC §4 shape) for the log. Never throws, never waits. */
  append(result: arrow.Table, meta: LogEntryMeta): void {
    if (this.closed) return
    const rows = result.numRows
    if (this.bufferedRows + rows > this.settings.maxBufferedRows) {
      this.droppedRows += rows
      return
    }
    this.buffer.push({ result, meta })
    this.bufferedRows += rows
    if (this.bufferedRows >= this.settings.flushRows) this.queueFlush()
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => { this.timer = undefined; this.queueFlush() }, this.settings.flushIntervalMs)
      this.timer.unref()
    }
  }

  /** Writes everything queued so far; resolves when it is on disk. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeBuffered())
    return this.flushing
  }

  /** Rows in `[since, until]` (by request time), the newest `limit` of them, oldest first. */
  async query(q: LogQuery = {}): Promise<arrow.Table> {
    await this.flush()
    // Listed afresh: other processes sharing the installation write segments here too.
    return querySegments(await listSegments(this.dir), q)
  }

  async stats(): Promise<LogStats> {
    const segments = await listSegments(this.dir)
    return {
      bufferedRows: this.bufferedRows,
      segments: segments.length,
      bytes: segments.reduce((n, s) => n + s.bytes, 0),
      droppedRows: this.droppedRows,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    }
  }

  /** Flushes and stops accepting rows. */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    await this.flush()
    this.closed = true
  }

  private queueFlush(): void {
    if (this.flushQueued) return
    this.flushQueued = true
    // Off the current request: the encode and write run after it has been answered.
    setImmediate(() => {
      this.flushQueued = false
      this.flush().catch(() => undefined)
    })
  }

  private async writeBuffered(): Promise<void> {
    if (this.timer !== undefined) { clearTimeout(this.timer); this.timer = undefined }
    if (this.buffer.length === 0) return
    const entries = this.buffer
    this.buffer = []
    this.bufferedRows = 0
    try {
      for (const seg of encodeEntries(entries)) {
        await writeSegment(this.dir, segmentName(seg.minTime, seg.maxTime, this.written++), seg.bytes)
        this.bytesSinceRetention += seg.bytes.length
      }
      this.lastError = undefined
    } catch (err) {
      // Keep the rows for the next flush (the disk may come back), within the buffer bound.
      this.lastError = err instanceof Error ? err.message : String(err)
      const rows = entries.reduce((n, e) => n + e.result.numRows, 0)
      if (this.bufferedRows + rows <= this.settings.maxBufferedRows) {
        this.buffer = [...entries, ...this.buffer]
        this.bufferedRows += rows
      } else {
        this.droppedRows += rows
      }
      throw err
    }
    // Listing the directory costs a stat per segment: do it every few seconds, or sooner when a
    // tenth of the size budget was written since.
    const now = Date.now()
    if (now - this.retainedAt >= RETENTION_EVERY_MS || this.bytesSinceRetention * 10 >= this.settings.maxBytes) {
      await this.applyRetention(await listSegments(this.dir), now)
    }
  }

  /** Applies the retention settings now (flushes also do, every few seconds). */
  async enforceRetention(): Promise<void> {
    await this.applyRetention(await listSegments(this.dir))
  }

  /** Removes segments past the age limit, then the oldest until the rest fit the size limit. */
  private async applyRetention(segments: Segment[], now = Date.now()): Promise<void> {
    this.retainedAt = now
    this.bytesSinceRetention = 0
    const { maxAgeMs, maxBytes } = this.settings
    const drop: Segment[] = []
    let bytes = segments.reduce((n, s) => n + s.bytes, 0)
    for (const s of segments) {
      if (s.maxTime >= now - maxAgeMs && bytes <= maxBytes) break
      drop.push(s)
      bytes -= s.bytes
    }
    await Promise.all(drop.map(removeSegment))
  }
}
