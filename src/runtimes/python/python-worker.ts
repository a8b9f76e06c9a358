import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { accessSync, closeSync, constants as fsConstants, mkdirSync, openSync, readSync, rmdirSync, unlinkSync, writeSync, writevSync } from 'node:fs'
import { constants } from 'node:os'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { RuntimeFailure } from '../../errors.js'
import { packagePath } from '../../package-path.js'
import { encodeFrame, FrameReader } from './messages.js'
import { sandboxedCommand } from './sandbox.js'
import type { SandboxSpec } from './sandbox.js'
import type { BodyBuilder, Frame, ReplyHeader, RequestHeader } from './messages.js'

export const WORKER_SCRIPT = packagePath('src/runtimes/python/worker/quiver_worker.py')
const STDERR_TAIL_BYTES = 8192
/** Bodies at least this large travel through the bulk files instead of the pipe. */
export const BULK_THRESHOLD = 64 * 1024
const BULK_DIR = '/dev/shm'

interface Pending {
  resolve(frame: Frame<ReplyHeader>): void
  reject(err: Error): void
  timer: NodeJS.Timeout
}

// Every live worker, so none outlives this process even when a pool is never closed.
const LIVE = new Set<ChildProcess>()
let exitHookInstalled = false
function track(child: ChildProcess): void {
  LIVE.add(child)
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', () => {
      for (const c of LIVE) c.kill('SIGKILL')
    })
  }
}

/** One Python worker process speaking the frame protocol over its stdin/stdout. */
export class PythonWorker {
  readonly pid: number
  /** Resolves when the process has exited, with the code the shell would show (128 + signal). */
  readonly exited: Promise<number>
  readonly #child: ChildProcess
  readonly #label: string
  readonly #pending = new Map<number, Pending>()
  #nextId = 1
  #stderr = ''
  #killReason: string | null = null
  #dead = false
  #bulk: Bulk | null
  /** Size of the last bulk reply, and a buffer of about that size whose pages are already mapped. */
  #replyBytes = 0
  #spare: Buffer | null = null

  /**
   * `label` names the model in error messages, e.g. `iris:4f1c…`. With `sandbox` the worker runs
   * inside bwrap, and its shared-memory files live in a folder of their own bound into it.
   */
  constructor(python: string, label: string, env: NodeJS.ProcessEnv = process.env, sandbox?: WorkerSandbox) {
    this.#label = label
    this.#bulk = openBulk()
    const bulkArgs = this.#bulk ? [this.#bulk.inPath, this.#bulk.outPath] : []
    const workerEnv = { ...env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' }
    const args = ['-B', WORKER_SCRIPT, ...bulkArgs]
    const run = sandbox
      ? sandboxedCommand(sandbox.bwrap, { ...sandbox.spec, writable: this.#bulk ? [this.#bulk.dir] : [], env: workerEnv }, args)
      : { command: python, args, env: workerEnv }
    const child = spawn(run.command, run.args, { stdio: ['pipe', 'pipe', 'pipe'], env: run.env })
    this.#child = child
    this.pid = child.pid ?? -1
    track(child)
    const reader = new FrameReader<ReplyHeader>((frame) => this.#onFrame(frame))
    child.stdout!.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk)
      } catch (err) {
        this.kill((err as Error).message)
      }
    })
    child.stderr!.setEncoding('utf8')
    child.stderr!.on('data', (s: string) => {
      this.#stderr = (this.#stderr + s).slice(-STDERR_TAIL_BYTES)
    })
    child.stdin!.on('error', () => {}) // EPIPE when the worker died; the exit handler reports it
    this.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        this.#killReason = `could not start ${python}: ${err.message}`
      })
      child.once('close', (code, signal) => {
        LIVE.delete(child)
        const shown = code ?? 128 + signalNumber(signal)
        this.#dead = true
        this.#closeBulk()
        this.#failAll(shown, signal)
        resolve(shown)
      })
    })
    this.#setRef(false)
  }

  get alive(): boolean {
    return !this.#dead
  }

  /** The last few KB the worker wrote to stderr (tracebacks, prints, warnings). */
  get stderrTail(): string {
    return this.#stderr
  }

  /** Sends one request; the reply frame resolves it. The worker is killed if no reply comes in `timeoutMs`. */
  request(header: Omit<RequestHeader, 'id'>, body: BodyBuilder | null, timeoutMs: number): Promise<Frame<ReplyHeader>> {
    if (this.#dead) return Promise.reject(new RuntimeFailure(`python worker for ${this.#label} is not running`))
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.kill(`python worker did not answer within ${timeoutMs} ms while running ${this.#label}; it was killed and restarts`)
      }, timeoutMs)
      this.#pending.set(id, { resolve, reject, timer })
      this.#setRef(true)
      const stdin = this.#child.stdin!
      let frame: Uint8Array[]
      // The bulk file holds one body at a time, so only a lone request may use it.
      if (this.#bulk && body && body.length >= BULK_THRESHOLD && this.#pending.size === 1) {
        writeAllAt(this.#bulk.inFd, body.parts)
        frame = encodeFrame({ ...header, id, bulk: body.length }, null)
      } else frame = encodeFrame({ ...header, id }, body)
      stdin.cork()
      for (const chunk of frame) stdin.write(chunk)
      stdin.uncork()
      // While the worker computes, map the pages of the buffer its reply will probably be read
      // into, so those page faults are not paid after the reply arrives.
      if (this.#bulk && this.#replyBytes >= BULK_THRESHOLD && !this.#spare) this.#spare = mappedBuffer(this.#replyBytes)
    })
  }

  /** SIGKILL; in-flight requests fail with `reason` (or the exit code message). */
  kill(reason?: string): void {
    if (reason && !this.#killReason) this.#killReason = reason
    if (this.#dead) return
    this.#setRef(true)
    this.#child.kill('SIGKILL')
  }

  /** Closes stdin (the worker exits on EOF) and kills it if it is still there after `graceMs`. */
  async close(graceMs = 2000): Promise<void> {
    if (this.#dead) return
    // Waiting for the exit must keep the event loop alive, or a slow exit leaves `exited` pending forever.
    this.#setRef(true)
    this.#child.stdin!.end()
    const timer = setTimeout(() => this.kill(), graceMs)
    await this.exited
    clearTimeout(timer)
  }

  #onFrame(frame: Frame<ReplyHeader>): void {
    if (this.#bulk && !this.#bulk.unlinked) {
      // The worker has opened both files; from now on they live only as long as the two processes.
      this.#bulk.unlinked = true
      removeBulkFiles(this.#bulk)
    }
    const bulkLength = frame.header.bulk
    if (typeof bulkLength === 'number' && this.#bulk) {
      frame = { header: frame.header, body: readAllAt(this.#bulk.outFd, bulkLength, this.#takeSpare(bulkLength)) }
      this.#replyBytes = bulkLength
    }
    const p = this.#pending.get(frame.header.id)
    if (!p) return
    this.#pending.delete(frame.header.id)
    clearTimeout(p.timer)
    if (this.#pending.size === 0) this.#setRef(false)
    p.resolve(frame)
  }

  /** The spare buffer when `length` fits it without wasting more than a quarter of it; it is then the reply's own. */
  #takeSpare(length: number): Buffer | null {
    const spare = this.#spare
    if (!spare || spare.byteLength < length || spare.byteLength > length + (length >> 2)) return null
    this.#spare = null
    return spare
  }

  #failAll(code: number, signal: NodeJS.Signals | null): void {
    const tail = this.#stderr.trim()
    const base = this.#killReason ??
      `python worker exited with code ${code}${signal ? ` (${signal})` : ''} while running ${this.#label}`
    const message = tail ? `${base}; its last stderr output: ${lastLines(tail, 6)}` : base
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer)
      p.reject(new RuntimeFailure(message, { exit_code: code, signal, stderr: tail }))
    }
    this.#pending.clear()
  }

  #closeBulk(): void {
    const b = this.#bulk
    if (!b) return
    this.#bulk = null
    closeSync(b.inFd)
    closeSync(b.outFd)
    if (!b.unlinked) removeBulkFiles(b)
  }

  // Idle workers must not keep the Node event loop alive; busy ones must.
  #setRef(on: boolean): void {
    const handles = [this.#child, this.#child.stdin, this.#child.stdout, this.#child.stderr] as unknown as ({ ref?(): void; unref?(): void } | null)[]
    for (const h of handles) (on ? h?.ref : h?.unref)?.call(h)
  }
}

function lastLines(text: string, n: number): string {
  return text.split('\n').slice(-n).join(' | ')
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (constants.signals[signal] ?? 0) : 0
}

/** How a sandboxed worker is started: the bwrap command and what the sandbox shows (see sandbox.ts). */
export interface WorkerSandbox {
  bwrap: string
  spec: Omit<SandboxSpec, 'writable' | 'env'>
}

interface Bulk {
  /** A folder of this worker's own, so a sandbox can bind it alone. */
  dir: string
  inPath: string
  outPath: string
  inFd: number
  outFd: number
  unlinked: boolean
}

function openBulk(): Bulk | null {
  try {
    accessSync(BULK_DIR, fsConstants.W_OK)
  } catch {
    return null
  }
  const dir = join(BULK_DIR, `quiver-worker-${process.pid}-${randomUUID()}`)
  mkdirSync(dir, { mode: 0o700 })
  const inPath = join(dir, 'in')
  const outPath = join(dir, 'out')
  const inFd = openSync(inPath, 'w+', 0o600)
  const outFd = openSync(outPath, 'w+', 0o600)
  return { dir, inPath, outPath, inFd, outFd, unlinked: false }
}

function removeBulkFiles(b: Bulk): void {
  for (const path of [b.inPath, b.outPath]) unlinkQuietly(path)
  try {
    rmdirSync(b.dir)
  } catch {
    // already gone
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // already gone
  }
}

function writeAllAt(fd: number, parts: Uint8Array[]): void {
  let position = 0
  let written = writevSync(fd, parts, 0)
  for (const p of parts) {
    const end = position + p.byteLength
    if (written < end) {
      const from = Math.max(0, written - position)
      writeSync(fd, p, from, p.byteLength - from, position + from)
      written = end
    }
    position = end
  }
}

/** A buffer of its own (offset 0) with every page touched once. */
function mappedBuffer(length: number): Buffer {
  const buf = Buffer.allocUnsafeSlow(length)
  for (let i = 0; i < length; i += 4096) buf[i] = 0
  return buf
}

function readAllAt(fd: number, length: number, into: Buffer | null): Uint8Array {
  // Its own ArrayBuffer at offset 0, so typed-array views over column buffers are aligned.
  const buf = into ? into.subarray(0, length) : Buffer.allocUnsafeSlow(length)
  let got = 0
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, got)
    if (n <= 0) throw new RuntimeFailure('python worker announced a bulk reply larger than it wrote')
    got += n
  }
  return buf
}
