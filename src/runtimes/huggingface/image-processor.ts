/**
 * The image processor of a Hugging Face image model (`preprocessor_config.json`), done as
 * `ViTImageProcessor` does it: resize to `size` {height, width} with Pillow's filter (`resample` 2
 * bilinear or 3 bicubic), rescale by `rescale_factor` (1/255), normalize by `image_mean` and
 * `image_std` per channel, channels first. Its defaults are ViTImageProcessor's. Settings Quiver
 * does not carry out (a `shortest_edge` resize, a center crop) are refused when the model loads,
 * never skipped.
 */
import { InvalidInput } from '../../errors.js'
import { resizeRgb, type Resample, type RgbImage } from './pil-resize.js'

export interface ImageProcessor {
  resize: { height: number; width: number; resample: Resample } | null
  rescale: number | null
  normalize: { mean: number[]; std: number[] } | null
}

const RESAMPLE: Record<number, Resample> = { 2: 'bilinear', 3: 'bicubic' }

export function parseImageProcessor(json: Record<string, unknown>, fileName: string): ImageProcessor {
  const bad = (what: string, got: unknown, expected: string) => new InvalidInput(
    `${fileName}: preprocessor_config.json ${what} is ${JSON.stringify(got)}; expected ${expected}`,
    { field: 'preprocessor_config.json', expected, got: JSON.stringify(got) },
  )
  if (json.do_center_crop === true) throw bad('do_center_crop', true, 'false or absent (a center crop is not carried out here)')
  let resize: ImageProcessor['resize'] = null
  if (json.do_resize !== false) {
    const size = json.size ?? { height: 224, width: 224 }
    const s = typeof size === 'number' ? { height: size, width: size } : size as { height?: unknown; width?: unknown }
    const dim = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0
    if (!dim(s.height) || !dim(s.width)) throw bad('size', size, '{"height": H, "width": W} or a number (a shortest_edge resize is not carried out here)')
    const r = json.resample ?? 2
    const resample = RESAMPLE[r as number]
    if (!resample) throw bad('resample', r, '2 (bilinear) or 3 (bicubic)')
    resize = { height: s.height as number, width: s.width as number, resample }
  }
  let rescale: number | null = null
  if (json.do_rescale !== false) {
    rescale = (json.rescale_factor ?? 1 / 255) as number
    if (typeof rescale !== 'number' || !Number.isFinite(rescale)) throw bad('rescale_factor', json.rescale_factor, 'a number')
  }
  let normalize: ImageProcessor['normalize'] = null
  if (json.do_normalize !== false) {
    const triple = (name: string, v: unknown, positive: boolean) => {
      const xs = typeof v === 'number' ? [v, v, v] : v
      if (!Array.isArray(xs) || xs.length !== 3 || xs.some((x) => typeof x !== 'number' || !Number.isFinite(x) || (positive && x <= 0))) {
        throw bad(name, v, `3 ${positive ? 'positive ' : ''}numbers, one per channel`)
      }
      return xs as number[]
    }
    normalize = { mean: triple('image_mean', json.image_mean ?? [0.5, 0.5, 0.5], false), std: triple('image_std', json.image_std ?? [0.5, 0.5, 0.5], true) }
  }
  return { resize, rescale, normalize }
}

/** Images → one float32 batch `[n, 3, height, width]`; all images must have the same size after resizing. */
export function pixelValues(p: ImageProcessor, images: readonly RgbImage[]): { data: Float32Array; dims: [number, number, number, number] } {
  const sized = images.map((img) => (p.resize ? resizeRgb(img, p.resize.height, p.resize.width, p.resize.resample) : img))
  const { height, width } = sized[0]!
  const plane = height * width
  const data = new Float32Array(sized.length * 3 * plane)
  sized.forEach((img, n) => {
    if (img.height !== height || img.width !== width) throw new Error('pixelValues needs images of one size')
    for (let c = 0; c < 3; c++) {
      const scale = p.rescale ?? 1
      const mean = p.normalize?.mean[c] ?? 0
      const std = p.normalize?.std[c] ?? 1
      const out = (n * 3 + c) * plane
      for (let i = 0; i < plane; i++) data[out + i] = (img.pixels[i * 3 + c]! * scale - mean) / std
    }
  })
  return { data, dims: [sized.length, 3, height, width] }
}

/** The size an image has after the processor's resize. */
export function processedSize(p: ImageProcessor, img: RgbImage): string {
  return p.resize ? `${p.resize.height}x${p.resize.width}` : `${img.height}x${img.width}`
}
