/**
 * The behaviour every runtime promises the inference path, run over real fixture models: it
 * claims its frameworks and refuses others with a reason; a loaded session's schemas are the
 * version's; every input row yields one output row, matching the reference output; a row's result
 * does not depend on its neighbours (what dynamic batching relies on); concurrent calls return
 * what sequential ones do; close settles.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it, type TestContext } from 'node:test'
import type * as arrow from 'apache-arrow'
import type { Runtime, Session } from '../../src/runtimes/runtime.js'
import { assertClose } from '../helpers/compare.js'
import { columnValues, contextFor, readCase, tableOf, versionOf, type FixtureCase } from './python-helpers.js'

export interface RuntimeSuiteOptions {
  /** The runtime under test. */
  runtime: () => Promise<Runtime>
  /** Fixture folders under test/fixtures/models this runtime serves. */
  cases: string[]
  /** Skips (or fails under CI) when the runtime's dependencies are absent; true to go on. */
  available?: (t: TestContext) => Promise<boolean>
}

export function runtimeSuite(name: string, opts: RuntimeSuiteOptions): void {
  describe(`runtime ${name}`, () => {
    let runtime: Runtime
    before(async () => {
      runtime = await opts.runtime()
    })
    after(async () => {
      await runtime?.dispose?.()
    })

    it('names itself and a kind', () => {
      assert.equal(runtime.name, name)
      assert.ok(['native', 'containerized', 'remote'].includes(runtime.kind))
    })

    it('refuses a framework it does not serve, with a reason', async () => {
      const c = readCase(opts.cases[0]!)
      const s = await runtime.supports({ ...versionOf(c.framework, c.artifact, c.input_schema, c.output_schema), framework: 'remote' })
      assert.equal(s.ok, false)
      assert.match((s as { reason: string }).reason, /remote/)
    })

    for (const caseName of opts.cases) {
      describe(caseName, () => {
        const c: FixtureCase = readCase(caseName)
        let session: Session | undefined
        const ctx = contextFor(c.artifact)
        const input = () => tableOf(c.input, c.input_schema)

        before(async () => {
          const v = versionOf(c.framework, c.artifact, c.input_schema, c.output_schema)
          if (!(await runtime.supports(v)).ok) return
          session = await runtime.load(v, ctx)
        })
        after(async () => {
          await session?.close()
          ctx.cleanup()
        })
        const loaded = async (t: TestContext): Promise<Session | null> => {
          if (opts.available && !(await opts.available(t))) return null
          assert.ok(session, `${name} supports ${caseName} and loads it`)
          return session
        }

        it('keeps the version\'s schemas', async (t) => {
          const s = await loaded(t)
          if (!s) return
          assert.deepEqual(s.inputSchema.map((f) => f.name), c.input_schema.map((f) => f.name))
          assert.deepEqual(s.outputSchema.map((f) => f.name), c.output_schema.map((f) => f.name))
        })

        it('yields one row per input row, matching the reference output', async (t) => {
          const s = await loaded(t)
          if (!s) return
          const out = await s.infer(input())
          assert.equal(out.numRows, input().numRows)
          assert.deepEqual(out.schema.fields.map((f) => f.name), c.output_schema.map((f) => f.name))
          for (const [field, want] of Object.entries(c.expected)) assertClose(columnValues(out, field), want, c.tolerance, field)
        })

        it('gives each row the result it gets alone', async (t) => {
          const s = await loaded(t)
          if (!s) return
          const all = input()
          const whole = await s.infer(all)
          for (const i of [0, all.numRows - 1]) {
            const alone = await s.infer(all.slice(i, i + 1))
            for (const f of c.output_schema) assertClose(columnValues(alone, f.name), [columnValues(whole, f.name)[i]], c.tolerance, `${f.name}[${i}]`)
          }
        })

        it('answers concurrent calls as it answers sequential ones', async (t) => {
          const s = await loaded(t)
          if (!s) return
          const all = input()
          const tables: arrow.Table[] = [all.slice(0, 1), all, all.slice(1)]
          const sequential: arrow.Table[] = []
          for (const x of tables) sequential.push(await s.infer(x))
          const concurrent = await Promise.all(tables.map((x) => s.infer(x)))
          concurrent.forEach((out, k) => {
            for (const f of c.output_schema) assertClose(columnValues(out, f.name), columnValues(sequential[k]!, f.name), c.tolerance, `${f.name} of call ${k}`)
          })
        })
      })
    }
  })
}
