/**
 * Hugging Face tasks run natively: tiny random BERT-style encoders are built at test time with
 * Debian's torch (test/fixtures/huggingface/build_tiny_bert.py) with a hand-written WordPiece
 * tokenizer.json, and Quiver's answers (tokenizer → onnxruntime → post-processing) are compared
 * with torch's own on the token ids the texts must tokenize to.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it, type TestContext } from 'node:test'
import * as arrow from 'apache-arrow'
import { createLocalQuiver } from '../../src/api/create-local.js'
import { HuggingFaceRuntime } from '../../src/runtimes/huggingface/hf-runtime.js'
import type { Session } from '../../src/runtimes/runtime.js'
import { assertClose } from '../helpers/compare.js'
import { buildTinyBert, hfRoot } from './hf-helpers.js'
import { columnValues, contextFor, versionOf } from './python-helpers.js'

const TEXTS = ['The cat sat on the mat.', 'Hello WORLD', 'a good movie is playing!']
/** What the tokenizer must make of TEXTS ([CLS] … [SEP]; "playing" → play ##ing). */
const IDS = [[2, 5, 6, 8, 9, 5, 10, 21, 3], [2, 23, 24, 3], [2, 11, 12, 14, 18, 15, 16, 22, 3]]
const TOL = { abs: 1e-4, rel: 1e-4 }

async function build(t: TestContext, task: string, cases: unknown[] = IDS): Promise<{ dir: string; reference: number[][][] | number[][] } | null> {
  return buildTinyBert(t, task, cases) as Promise<{ dir: string; reference: number[][][] | number[][] } | null>
}

const textTable = (cols: Record<string, arrow.Vector>) => new arrow.Table(cols)

describe('hugging-face-feature-extraction', () => {
  let session: Session | undefined
  let reference: number[][][] = []
  const ctxs: { cleanup(): void }[] = []
  after(async () => {
    await session?.close()
    ctxs.forEach((c) => c.cleanup())
  })

  it('answers each text\'s token vectors as torch computes them, with SPEC §10\'s schemas', async (t) => {
    const built = await build(t, 'feature-extraction')
    if (!built) return
    reference = built.reference as number[][][]
    const zip = join(built.dir, 'model.zip')
    const ctx = contextFor(zip)
    ctxs.push(ctx)
    session = await new HuggingFaceRuntime().load(versionOf('hugging-face-feature-extraction', zip, null as never, null as never), ctx)
    assert.deepEqual(session.inputSchema, [{ name: 'inputs', type: 'string', nullable: false }])
    assert.deepEqual(session.outputSchema, [{ name: 'output', type: { list: { list: 'float64', size: 16 }, size: null }, nullable: false }])
    const out = await session.infer(textTable({ inputs: arrow.vectorFromArray(TEXTS, new arrow.Utf8()) }))
    const got = columnValues(out, 'output') as number[][][]
    got.forEach((rows, i) => {
      assert.equal(rows.length, IDS[i]!.length, `tokens of text ${i}`)
      rows.forEach((v, j) => assertClose(v, reference[i]![j]!, TOL, `text ${i} token ${j}`))
    })
    const alone = columnValues(await session.infer(textTable({ inputs: arrow.vectorFromArray([TEXTS[1]!], new arrow.Utf8()) })), 'output') as number[][][]
    alone[0]!.forEach((v, j) => assertClose(v, reference[1]![j]!, TOL, `text 1 alone, token ${j}`))
  })

  it('refuses a zip without tokenizer.json, naming what is missing', async (t) => {
    const built = await build(t, 'feature-extraction')
    if (!built) return
    const zip = join(built.dir, 'no-tokenizer.zip')
    const ctx = contextFor(zip)
    ctxs.push(ctx)
    await assert.rejects(new HuggingFaceRuntime().load(versionOf('hugging-face-feature-extraction', zip, null as never, null as never), ctx),
      /no-tokenizer\.zip is not a Hugging Face model folder Quiver can run: it has no tokenizer\.json/)
  })
})

describe('hugging-face-text-classification', () => {
  it('answers the top labels with softmax scores, top_k and function_to_apply as asked', async (t) => {
    const built = await build(t, 'text-classification')
    if (!built) return
    const logits = built.reference as number[][]
    const zip = join(built.dir, 'model.zip')
    const ctx = contextFor(zip)
    const session = await new HuggingFaceRuntime().load(versionOf('hugging-face-text-classification', zip, null as never, null as never), ctx)
    try {
      const input = textTable({
        inputs: arrow.vectorFromArray(TEXTS, new arrow.Utf8()),
        top_k: arrow.vectorFromArray([null, 2n, 2n], new arrow.Int64()),
        function_to_apply: arrow.vectorFromArray([null, null, 'none'], new arrow.Utf8()),
      })
      const out = await session.infer(input)
      const labels = columnValues(out, 'label') as string[][]
      const scores = columnValues(out, 'score') as number[][]
      const softmax = (l: number[]) => l.map((x) => Math.exp(x) / l.reduce((a, b) => a + Math.exp(b), 0))
      const best = (l: number[]) => (l[1]! > l[0]! ? 1 : 0)
      const NAMES = ['NEGATIVE', 'POSITIVE']
      assert.deepEqual(labels[0], [NAMES[best(logits[0]!)]])
      assertClose(scores[0]!, [Math.max(...softmax(logits[0]!))], TOL, 'row 0')
      assert.deepEqual(labels[1], [NAMES[best(logits[1]!)], NAMES[1 - best(logits[1]!)]])
      assertClose(scores[1]!, [...softmax(logits[1]!)].sort((a, b) => b - a), TOL, 'row 1')
      assertClose(scores[2]!, [...logits[2]!].sort((a, b) => b - a), TOL, 'row 2 (none)')
      await assert.rejects(session.infer(textTable({ inputs: arrow.vectorFromArray(['x'], new arrow.Utf8()), top_k: arrow.vectorFromArray([null], new arrow.Int64()), function_to_apply: arrow.vectorFromArray(['relu'], new arrow.Utf8()) })),
        /function_to_apply 'relu' at row 0 is not one of softmax, sigmoid, none/)
    } finally {
      await session.close()
      ctx.cleanup()
    }
  })

  it('registers a task it does not run with status error naming the task', async (t) => {
    const built = await build(t, 'text-classification')
    if (!built) return
    const home = join(hfRoot, 'home')
    const api = await createLocalQuiver({ home })
    try {
      const v = await api.uploadModel({ name: 'summarizer', source: { path: join(built.dir, 'model.zip') }, framework: 'hugging-face-summarization' })
      assert.equal(v.status, 'error')
      assert.match(v.error_message!, /Hugging Face task 'summarization' does not run natively here/)
      const ok = await api.uploadModel({ name: 'sentiment', source: { path: join(built.dir, 'model.zip') }, framework: 'hugging-face-sentiment-analysis' })
      assert.equal(ok.status, 'ready')
      const out = await api.infer('sentiment', { kind: 'json', value: [{ inputs: 'a good movie', top_k: null, function_to_apply: null }] })
      assert.equal((columnValues(out, 'out.label') as string[][])[0]!.length, 1)
      // SPEC §10: the optional inputs may be left out, in records and in columns.
      const optional = (await api.getVersion('sentiment')).input_schema!.filter((f) => f.optional).map((f) => f.name)
      assert.deepEqual(optional, ['top_k', 'function_to_apply'])
      for (const value of [[{ inputs: 'a good movie' }, { inputs: 'bad', top_k: 2 }], { columns: { inputs: ['a good movie', 'bad'], top_k: [null, 2] } }]) {
        const left = await api.infer('sentiment', { kind: 'json', value })
        assert.deepEqual((columnValues(left, 'out.label') as string[][]).map((l) => l.length), [1, 2])
        assert.deepEqual(columnValues(left, 'in.function_to_apply'), [null, null])
      }
      await assert.rejects(api.infer('sentiment', { kind: 'json', value: [{ top_k: 1 }] }), /input is missing field 'inputs' \(expected string\)/)
      // A pipeline step before it need not give the optional inputs either.
      const echo = join(hfRoot, 'echo.mjs')
      writeFileSync(echo, 'export function load() { return { infer(t) { return { inputs: Array.from(t.getChild("text"), (v) => v.toLowerCase()) } } } }')
      await api.uploadModel({ name: 'echo', source: { path: echo }, framework: 'js', inputSchema: [{ name: 'text', type: 'string', nullable: false }], outputSchema: [{ name: 'inputs', type: 'string', nullable: false }] })
      await api.pipelines.create('review', [{ ref: 'echo' }, { ref: 'sentiment' }])
      await api.pipelines.deploy('review')
      const chained = await api.pipelines.infer('review', { kind: 'json', value: [{ text: 'A GOOD movie' }] })
      assert.deepEqual(columnValues(chained, 'out.label'), columnValues(await api.infer('sentiment', { kind: 'json', value: [{ inputs: 'a good movie' }] }), 'out.label'))
    } finally {
      await api.close()
    }
  })
})

describe('hugging-face-zero-shot-classification', () => {
  // "a good movie is playing!" against "the {} movie" for good and bad: sentence pairs, the hypothesis with type id 1.
  const SEQ = [2, 11, 12, 14, 18, 15, 16, 22, 3]
  const pair = (label: number) => ({ ids: [...SEQ, 5, label, 14, 3], types: [...SEQ.map(() => 0), 1, 1, 1, 1] })

  it('scores candidate labels by entailment as the pipeline does, single- and multi-label', async (t) => {
    const built = await build(t, 'zero-shot-classification', [pair(12), pair(13)])
    if (!built) return
    const [good, bad] = built.reference as number[][]
    const zip = join(built.dir, 'model.zip')
    const ctx = contextFor(zip)
    const session = await new HuggingFaceRuntime().load(versionOf('hugging-face-zero-shot-classification', zip, null as never, null as never), ctx)
    try {
      const row = (multi: boolean | null) => textTable({
        inputs: arrow.vectorFromArray(['a good movie is playing!'], new arrow.Utf8()),
        candidate_labels: arrow.vectorFromArray([['good', 'bad']], new arrow.List(new arrow.Field('item', new arrow.Utf8()))),
        hypothesis_template: arrow.vectorFromArray(['the {} movie'], new arrow.Utf8()),
        multi_label: arrow.vectorFromArray([multi], new arrow.Bool()),
      })
      // id2label: 0 contradiction, 1 neutral, 2 entailment
      const single = await session.infer(row(null))
      const e = [good![2]!, bad![2]!]
      const p = e.map((x) => Math.exp(x) / (Math.exp(e[0]!) + Math.exp(e[1]!)))
      const order = p[0]! >= p[1]! ? [0, 1] : [1, 0]
      assert.deepEqual(columnValues(single, 'sequence'), ['a good movie is playing!'])
      assert.deepEqual((columnValues(single, 'labels') as string[][])[0], order.map((j) => ['good', 'bad'][j]))
      assertClose((columnValues(single, 'scores') as number[][])[0]!, order.map((j) => p[j]!), TOL, 'single-label scores')
      const multi = await session.infer(row(true))
      const m = [good!, bad!].map((l) => 1 / (1 + Math.exp(l[0]! - l[2]!)))
      const mOrder = m[0]! >= m[1]! ? [0, 1] : [1, 0]
      assertClose((columnValues(multi, 'scores') as number[][])[0]!, mOrder.map((j) => m[j]!), TOL, 'multi-label scores')
    } finally {
      await session.close()
      ctx.cleanup()
    }
  })
})
