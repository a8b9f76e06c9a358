import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** A real Node process running a TypeScript script, read line by line. */
export class Child {
  readonly proc: ChildProcess
  readonly #lines: string[] = []
  readonly #waiters: Array<() => void> = []
  #stderr = ''
  readonly exited: Promise<number | null>

  constructor(script: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(script, import.meta.url)), ...args], {
      cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'],
    })
    this.proc.stderr!.on('data', (d: Buffer) => { this.#stderr += d.toString() })
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      this.#lines.push(line)
      this.#waiters.splice(0).forEach((w) => w())
    })
    this.exited = new Promise((resolve) => this.proc.on('exit', (code) => {
      this.#waiters.splice(0).forEach((w) => w())
      resolve(code)
    }))
  }

  get pid(): number {
    return this.proc.pid!
  }

  /** The next stdout line (waits for it); rejects with the child's stderr if it exits first. */
  async line(): Promise<string> {
    for (;;) {
      const next = this.#lines.shift()
      if (next !== undefined) return next
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        throw new Error(`child exited (${this.proc.exitCode ?? this.proc.signalCode}) before writing a line: ${this.#stderr}`)
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
  }

  send(line: string): void {
    this.proc.stdin!.write(`${line}\n`)
  }

  get stderr(): string {
    return this.#stderr
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL')
  }
}
