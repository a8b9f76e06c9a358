/**
 * hugging-face-image-classification: a tiny random conv net built at test time with Debian's torch
 * (test/fixtures/huggingface/build_tiny_image_classifier.py), its preprocessor_config.json giving
 * size, resample, rescale, mean and std. Quiver's resize is compared with Pillow's own, exactly, and
 * with torch's antialiased interpolation, which follows Pillow's filters but does not round between
 * passes (so within one level of 0..255); Quiver's scores with torch's on the same processed pixels.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createLocalQuiver } from '../../src/api/create-local.js'
import { mulberry32 } from '../../src/data/seeded-random.js'
import { readTable } from '../../src/data/table-input.js'
import { loadHfModel } from '../../src/runtimes/huggingface/hf-model.js'
import { parseImageProcessor, processImage } from '../../src/runtimes/huggingface/image-processor.js'
import { HuggingFaceRuntime } from '../../src/runtimes/huggingface/hf-runtime.js'
import { resizeRgb, type Resample, type RgbImage } from '../../src/runtimes/huggingface/pil-resize.js'
import { assertClose } from '../helpers/compare.js'
import { buildTinyImageClassifier, hfRoot } from './hf-helpers.js'
import { columnValues, contextFor, pythonOr, versionOf } from './python-helpers.js'

const PILLOW = fileURLToPath(new URL('../fixtures/huggingface/pillow_resize.py', import.meta.url))

type Pixels = number[][][]
const random = mulberry32(5)
const image = (h: number, w: number, from = 0, to = 256): Pixels => Array.from({ length: h }, () => Array.from({ length: w }, () => [0, 1, 2].map(() => from + Math.floor(random() * (to - from)))))
/** At the model's 8 × 8, shrunk both ways, grown, only narrowed. */
const IMAGES = [image(8, 8), image(13, 11), image(5, 6), image(8, 20)]
/**
 * Bicubic weights go negative, so a pass may overshoot 0..255: Pillow clips between its two passes,
 * torch does not. Mid-range pixels keep the first pass inside 0..255, where the two agree.
 */
const MID_IMAGES = [image(8, 8, 64, 192), image(13, 11, 64, 192), image(5, 6, 64, 192), image(8, 20, 64, 192)]
const toRgb = (p: Pixels): RgbImage => ({ height: p.length, width: p[0]!.length, pixels: Uint8Array.from(p.flat(2)) })
const toPixels = (img: RgbImage): Pixels => Array.from({ length: img.height }, (_, y) => Array.from({ length: img.width }, (_, x) => [0, 1, 2].map((c) => img.pixels[(y * img.width + x) * 3 + c]!)))
const cases = (resample: Resample, images = IMAGES) => images.map((p) => ({ image: p, processed: toPixels(resizeRgb(toRgb(p), 8, 8, resample)) }))

interface Reference { resized: number[][][]; scores: number[]; labels: string[] }
const SCHEMA_IN = [
  { name: 'inputs', type: { list: { list: { list: 'int64' as const, size: 3 }, size: null }, size: null }, nullable: false },
  { name: 'top_k', type: 'int64' as const, nullable: true, optional: true as const },
]
const records = (rows: { inputs: unknown; top_k?: number }[]) => readTable({ kind: 'json', value: rows }, SCHEMA_IN, { nullsAllowed: true })

/**
 * Within `levels` of torch's unrounded result: Pillow rounds after each pass, so at most half a
 * level from the first pass (times the second pass's weights' absolute sum) plus half from the last.
 */
function assertResizedLikeTorch(resample: Resample, reference: Reference[], images: Pixels[], levels: number): void {
  images.forEach((p, i) => {
    const ours = resizeRgb(toRgb(p), 8, 8, resample).pixels
    const theirs = reference[i]!.resized.flat(2)
    let worst = 0
    theirs.forEach((v, k) => { worst = Math.max(worst, Math.abs(ours[k]! - Math.min(255, Math.max(0, v)))) })
    assert.ok(worst <= levels, `${resample} image ${i}: a pixel differs from torch's by ${worst.toFixed(3)} levels`)
  })
}

describe('hugging-face-image-classification', () => {
  it('resizes as Pillow does and answers top_k labels and scores as torch computes them', async (t) => {
    const built = await buildTinyImageClassifier(t, 2, cases('bilinear'), 'image-bilinear')
    if (!built) return
    const reference = built.reference as Reference[]
    assertResizedLikeTorch('bilinear', reference, IMAGES, 1)
    const zip = join(built.dir, 'model.zip')
    const ctx = contextFor(zip)
    const session = await new HuggingFaceRuntime().load(versionOf('hugging-face-image-classification', zip, null as never, null as never), ctx)
    try {
      assert.deepEqual(session.inputSchema, SCHEMA_IN)
      const topK = [undefined, 2, 3, 1]
      const out = await session.infer(await records(IMAGES.map((inputs, i) => ({ inputs, ...(topK[i] ? { top_k: topK[i] } : {}) }))))
      const scores = columnValues(out, 'score') as number[][]
      const labels = columnValues(out, 'label') as string[][]
      reference.forEach((r, i) => {
        const k = topK[i] ?? 3 // the default 5, cut to the model's 3 labels
        assertClose(scores[i], r.scores.slice(0, k), { abs: 1e-5, rel: 1e-4 }, `image ${i} scores`)
        assert.deepEqual(labels[i], r.labels.slice(0, k), `image ${i} labels`)
      })
    } finally {
      await session.close()
      ctx.cleanup()
    }
  })

  it('resizes bit for bit as Pillow itself does, when Debian\'s python3-pil is there', async (t) => {
    // Debian's interpreter (the one with Debian's torch) is the one Debian's python3-pil installs into.
    const python = await pythonOr(t, ['torch', 'numpy'])
    if (!python) return
    const out = join(hfRoot, 'pillow.json')
    const run = spawnSync(python.executable, [PILLOW, out], { encoding: 'utf8' })
    if (run.status === 3 && !process.env.CI) {
      console.log(`# skip: ${run.stderr.trim()} (Debian's python3-pil; scripts/install-system-deps.sh installs it)`)
      return t.skip('no Pillow')
    }
    assert.equal(run.status, 0, run.stderr)
    const cases = JSON.parse(readFileSync(out, 'utf8')) as ({ image: Pixels; height: number; width: number } & Record<Resample, Pixels>)[]
    for (const c of cases) {
      for (const resample of ['bilinear', 'bicubic'] as const) {
        const ours = resizeRgb(toRgb(c.image), c.height, c.width, resample)
        assert.deepEqual(toPixels(ours), c[resample], `${c.image.length}x${c.image[0]!.length} → ${c.height}x${c.width} ${resample}`)
      }
    }
  })

  it('resizes with Pillow\'s bicubic filter when the processor asks for resample 3', async (t) => {
    const built = await buildTinyImageClassifier(t, 3, cases('bicubic', MID_IMAGES), 'image-bicubic')
    if (!built) return
    assertResizedLikeTorch('bicubic', built.reference as Reference[], MID_IMAGES, 1.25)
  })

  /** Settings of other image processors: their resize, crop and padding geometry, each against torch. */
  const GEOMETRIES: [string, Record<string, unknown>][] = [
    ['ConvNeXt (shortest edge 8 / crop_pct 0.875, then an 8 × 8 crop)', { image_processor_type: 'ConvNextImageProcessor', size: { shortest_edge: 8 }, crop_pct: 0.875 }],
    ['DeiT (10 × 10, then an 8 × 8 center crop)', { size: { height: 10, width: 10 }, do_center_crop: true, crop_size: { height: 8, width: 8 } }],
    ['CLIP (shortest edge 8, then an 8 × 8 center crop)', { image_processor_type: 'CLIPImageProcessor', size: { shortest_edge: 8 }, do_center_crop: true, crop_size: { height: 8, width: 8 } }],
    ['a crop larger than the image (6 × 7, padded with zeros to 8 × 8)', { size: { height: 6, width: 7 }, do_center_crop: true, crop_size: 8 }],
  ]
  for (const [what, settings] of GEOMETRIES) {
    it(`resizes and crops as ${what}, and scores what it made`, async (t) => {
      const processor = parseImageProcessor({ size: { height: 8, width: 8 }, resample: 2, ...settings }, 'test.zip')
      const processed = IMAGES.map((p) => processImage(processor, toRgb(p)))
      const built = await buildTinyImageClassifier(t, 2, IMAGES.map((image, i) => ({ image, processed: toPixels(processed[i]!) })), `image-${GEOMETRIES.findIndex(([w]) => w === what)}`, settings)
      if (!built) return
      const reference = built.reference as Reference[]
      const written = parseImageProcessor(JSON.parse(readFileSync(join(built.dir, 'model', 'preprocessor_config.json'), 'utf8')), 'model.zip')
      IMAGES.forEach((p, i) => {
        const ours = processImage(written, toRgb(p))
        const theirs = reference[i]!.resized
        assert.deepEqual([ours.height, ours.width], [theirs.length, theirs[0]!.length], `image ${i} size`)
        const worst = theirs.flat(2).reduce((m, v, k) => Math.max(m, Math.abs(ours.pixels[k]! - Math.min(255, Math.max(0, v)))), 0)
        assert.ok(worst <= 1, `image ${i}: a pixel differs from torch's by ${worst.toFixed(3)} levels`)
      })
      const zip = join(built.dir, 'model.zip')
      const ctx = contextFor(zip)
      const session = await new HuggingFaceRuntime().load(versionOf('hugging-face-image-classification', zip, null as never, null as never), ctx)
      try {
        const out = await session.infer(await records(IMAGES.map((inputs) => ({ inputs }))))
        reference.forEach((r, i) => assertClose((columnValues(out, 'score') as number[][])[i], r.scores, { abs: 1e-5, rel: 1e-4 }, `image ${i} scores`))
      } finally {
        await session.close()
        ctx.cleanup()
      }
    })
  }

  it('runs through the API with top_k left out, and refuses bad images and settings naming what is wrong', async (t) => {
    const built = await buildTinyImageClassifier(t, 2, cases('bilinear'), 'image-api')
    if (!built) return
    const reference = built.reference as Reference[]
    const api = await createLocalQuiver({ home: join(hfRoot, 'image-home') })
    try {
      const v = await api.uploadModel({ name: 'pets', source: { path: join(built.dir, 'model.zip') }, framework: 'hugging-face-image-classification' })
      assert.equal(v.status, 'ready', v.error_message ?? '')
      const out = await api.infer('pets', { kind: 'json', value: [{ inputs: IMAGES[0] }] })
      assert.deepEqual(columnValues(out, 'out.label'), [reference[0]!.labels])
      const bad: [unknown, RegExp][] = [
        [[[[0, 0, 256]]], /inputs at row 0: pixel \(0, 0\) channel 2 is 256; pixel values are integers 0\.\.255/],
        [[[[0, -1, 0]]], /pixel \(0, 0\) channel 1 is -1/],
        [[[[0, 0, 0], [1, 1, 1]], [[2, 2, 2]]], /inputs at row 0: pixel row 1 has 1 pixels but row 0 has 2; an image is a rectangle/],
        [[], /inputs at row 0: the image has no rows of pixels/],
        [[[[0, 0]]], /inputs.*row 0.*expected.*3/],
      ]
      for (const [inputs, message] of bad) await assert.rejects(api.infer('pets', { kind: 'json', value: [{ inputs }] }), message)
      await assert.rejects(api.infer('pets', { kind: 'json', value: [{ inputs: IMAGES[0], top_k: 0 }] }), /top_k at row 0 must be at least 1, got 0/)
      await assert.rejects(api.uploadModel({ name: 'pets-broken', source: { path: join(built.dir, 'no-processor.zip') }, framework: 'hugging-face-image-classification' }),
        /no-processor\.zip is not a Hugging Face model folder Quiver can run: it has no preprocessor_config\.json/)
    } finally {
      await api.close()
    }
    const processor = JSON.parse(readFileSync(join(built.dir, 'model', 'preprocessor_config.json'), 'utf8'))
    const settings: [Record<string, unknown>, RegExp][] = [
      [{ do_center_crop: true, crop_size: { height: 8 } }, /preprocessor_config\.json crop_size is \{"height":8\}; expected \{"height": H, "width": W\} or a number/],
      [{ size: { longest_edge: 8 } }, /preprocessor_config\.json size is \{"longest_edge":8\}; expected \{"height": H, "width": W\}, \{"shortest_edge": N\} or a number/],
      [{ image_processor_type: 'ConvNextImageProcessor', size: { shortest_edge: 8 }, crop_pct: 0 }, /crop_pct is 0; expected a number in \(0, 1\]/],
      [{ resample: 0 }, /preprocessor_config\.json resample is 0; expected 2 \(bilinear\) or 3 \(bicubic\)/],
      [{ image_std: [0.2, 0, 0.2] }, /image_std is \[0\.2,0,0\.2\]; expected 3 positive numbers/],
    ]
    for (const [change, message] of settings) {
      const dir = mkdtempSync(join(hfRoot, 'settings-'))
      cpSync(join(built.dir, 'model'), dir, { recursive: true })
      writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify({ ...processor, ...change }))
      await assert.rejects(loadHfModel(dir, 'pets.zip', 'image'), message)
    }
  })
})
