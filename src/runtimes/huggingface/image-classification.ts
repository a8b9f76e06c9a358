/**
 * `image-classification` as Hugging Face's pipeline does it: each image (SPEC §10: `inputs`
 * [[[int64]3]W]H, pixel rows of R, G, B) through the model's image processor (image-processor.ts),
 * the batch through the ONNX model answering logits [images, labels], then softmax (sigmoid for one
 * label or a multi-label model) and the `top_k` best labels (default 5, at most the label count).
 */
import ort from 'onnxruntime-node'
import { buildColumn } from '../../data/column-builder.js'
import { InvalidInput, RuntimeFailure } from '../../errors.js'
import type { HfModel } from './hf-model.js'
import type { HfTask } from './hf-tasks.js'
import { readImages } from './image-pixels.js'
import { pixelValues, processedSize, type ImageProcessor } from './image-processor.js'

/** Images per onnxruntime run. */
const BATCH = 32

export const imageClassification: HfTask = {
  inputs: 'image',
  inputSchema: () => [
    { name: 'inputs', type: { list: { list: { list: 'int64', size: 3 }, size: null }, size: null }, nullable: false },
    { name: 'top_k', type: 'int64', nullable: true, optional: true },
  ],
  outputSchema: () => [
    { name: 'score', type: { list: 'float64', size: null }, nullable: false },
    { name: 'label', type: { list: 'string', size: null }, nullable: false },
  ],
  async run(model, input) {
    const processor = model.imageProcessor
    if (!processor) throw new RuntimeFailure('image-classification needs the model\'s image processor (preprocessor_config.json)')
    const images = readImages(input.getChild('inputs')!)
    const topK = input.getChild('top_k')
    const logits = await runImages(model, processor, images)
    const k = logits.labels
    const names = Array.from({ length: k }, (_, j) => model.config.id2label?.[String(j)] ?? `LABEL_${j}`)
    const sigmoid = k === 1 || model.config.problem_type === 'multi_label_classification'
    const scores: number[][] = []
    const labels: string[][] = []
    images.forEach((_, i) => {
      const want = topK?.get(i)
      if (want !== null && want !== undefined && Number(want) < 1) throw new InvalidInput(`top_k at row ${i} must be at least 1, got ${want}`, { field: 'top_k', row: i, expected: '>= 1', got: String(want) })
      const n = Math.min(k, want === null || want === undefined ? 5 : Number(want))
      const s = activate(logits.data.subarray(i * k, (i + 1) * k), sigmoid)
      const order = s.map((_, j) => j).sort((a, b) => s[b]! - s[a]!).slice(0, n)
      scores.push(order.map((j) => s[j]!))
      labels.push(order.map((j) => names[j]!))
    })
    const ctx = (field: string) => ({ field, rowOf: (i: number) => i, nullsAllowed: false, allowNull: false })
    return [buildColumn(scores, { list: 'float64', size: null }, ctx('score')), buildColumn(labels, { list: 'string', size: null }, ctx('label'))]
  },
}

/** Logits of every image, in row order; images of one processed size share a run. */
async function runImages(model: HfModel, processor: ImageProcessor, images: ReturnType<typeof readImages>): Promise<{ data: Float32Array; labels: number }> {
  const groups = new Map<string, number[]>()
  images.forEach((img, i) => {
    const key = processedSize(processor, img)
    groups.set(key, [...(groups.get(key) ?? []), i])
  })
  let out: Float32Array | undefined
  let labels = 0
  for (const rows of groups.values()) {
    for (let b = 0; b < rows.length; b += BATCH) {
      const part = rows.slice(b, b + BATCH)
      const { data, dims } = pixelValues(processor, part.map((i) => images[i]!))
      const name = model.session.inputNames.includes('pixel_values') ? 'pixel_values' : model.session.inputNames[0]!
      const result = await model.session.run({ [name]: new ort.Tensor('float32', data, dims) })
      const t = result.logits ?? result[model.session.outputNames[0]!]!
      if (t.type !== 'float32' || t.dims.length !== 2 || t.dims[0] !== part.length) {
        throw new RuntimeFailure(`image-classification needs a model answering float32 logits [images, labels]; it answered ${t.type} [${t.dims.join(', ')}]`)
      }
      labels = t.dims[1]!
      out ??= new Float32Array(images.length * labels)
      part.forEach((i, j) => out!.set((t.data as Float32Array).subarray(j * labels, (j + 1) * labels), i * labels))
    }
  }
  return { data: out!, labels }
}

function activate(logits: Float32Array, sigmoid: boolean): number[] {
  const xs = Array.from(logits, Number)
  if (sigmoid) return xs.map((x) => 1 / (1 + Math.exp(-x)))
  const max = Math.max(...xs)
  const e = xs.map((x) => Math.exp(x - max))
  const sum = e.reduce((a, b) => a + b, 0)
  return e.map((x) => x / sum)
}
