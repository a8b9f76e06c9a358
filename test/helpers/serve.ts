import { spawn, type ChildProcess } from 'node:child_process'
import { BIN, REPO } from './cli.js'

export interface Served {
  child: ChildProcess
  url: string
  stderr: () => string
}

/** Starts a real `bin/quiver serve --port 0` on the embedded home; resolves with its URL. */
export function serve(home: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child = spawn(process.execPath, [BIN, '--home', home, 'serve', '--port', '0', ...args], {
    cwd: REPO, env: { ...process.env, QUIVER_DATABASE_URL: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stderr!.on('data', (d) => (err += d))
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d
      const first = out.split('\n')[0]!
      if (out.includes('\n')) {
        const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first)
        if (m) resolve({ child, url: m[1]!, stderr: () => err })
        else reject(new Error(`first stdout line was ${JSON.stringify(first)}`))
      }
    })
    child.once('exit', (code) => reject(new Error(`quiver serve exited with ${code}: ${err}`)))
  })
}

/** Stops a served process and resolves once it has exited (it writes its home until then, so remove the home after). */
export async function stopServed(served: Served | undefined | null): Promise<void> {
  if (!served || served.child.exitCode !== null || served.child.signalCode !== null) return
  const exited = new Promise((resolve) => served.child.once('exit', resolve))
  served.child.kill()
  await exited
}
