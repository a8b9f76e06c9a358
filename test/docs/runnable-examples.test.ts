/**
 * Shell examples in README.md and docs/ that are fenced as ```sh runnable are run as written,
 * from the repository root on a fresh QUIVER_HOME, and must succeed: docs that drift from the
 * code fail here.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, it } from 'node:test'
import { makeTemp, removeTemp, REPO } from '../helpers/cli.js'

function markdownFiles(): string[] {
  const docs = readdirSync(join(REPO, 'docs'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.md'))
    .map((e) => join(e.parentPath, e.name))
  return [join(REPO, 'README.md'), ...docs.sort()]
}

function runnableBlocks(file: string): string[] {
  const blocks: string[] = []
  const fence = /^```sh runnable\n([\s\S]*?)^```/gm
  for (const m of readFileSync(file, 'utf8').matchAll(fence)) blocks.push(m[1]!)
  return blocks
}

function bash(script: string, home: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: REPO, env: { ...process.env, QUIVER_HOME: home, QUIVER_DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, output }))
  })
}

const files = markdownFiles().map((f) => [f, runnableBlocks(f)] as const).filter(([, blocks]) => blocks.length > 0)

describe('runnable shell examples in the docs', () => {
  it('finds some', () => assert.ok(files.length >= 2, `runnable examples in: ${files.map(([f]) => relative(REPO, f)).join(', ')}`))
  for (const [file, blocks] of files) {
    it(`${relative(REPO, file)}: ${blocks.length} example(s) run as written`, async () => {
      const home = await makeTemp()
      try {
        for (const [k, block] of blocks.entries()) {
          const { code, output } = await bash(block, home)
          assert.equal(code, 0, `example ${k + 1} of ${relative(REPO, file)} failed:\n${block}\n--- output ---\n${output.slice(-2000)}`)
        }
      } finally {
        await removeTemp(home)
      }
    })
  }
})
