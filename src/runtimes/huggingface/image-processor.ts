/**
 * The image processor of a Hugging Face image model (`preprocessor_config.json`), done as its
 * `*ImageProcessor` does it: resize with Pillow's filter (`resample` 2 bilinear or 3 bicubic) to
 * `size` {height, width}, or so that the shortest edge is `size.shortest_edge` (aspect kept, as
 * `get_resize_output_image_size`); a center crop to `crop_size` when `do_center_crop` (ConvNeXt:
 * its `crop_pct` rule instead); rescale by `rescale_factor` (1/255); normalize by `image_mean` and
 * `image_std` per channel; channels first. Defaults are ViTImageProcessor's. Settings Quiver does
 * not carry out are refused when the model loads, never skipped.
 */
import { InvalidInput } from '../../errors.js'
import { resizeRgb, type Resample, type RgbImage } from './pil-resize.js'

type Size = { height: number; width: number }

export interface ImageProcessor {
  resize: ({ height: number; width: number } | { shortestEdge: number }) | null
  resample: Resample
  crop: Size | null
  rescale: number | null
  normalize: { mean: number[]; std: number[] } | null
}

const RESAMPLE: Record<number, Resample> = { 2: 'bilinear', 3: 'bicubic' }

export function parseImageProcessor(json: Record<string, unknown>, fileName: string): ImageProcessor {
  const bad = (what: string, got: unknown, expected: string) => new InvalidInput(
    `${fileName}: preprocessor_config.json ${what} is ${JSON.stringify(got)}; expected ${expected}`,
    { field: 'preprocessor_config.json', expected, got: JSON.stringify(got) },
  )
  const dim = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0
  const kind = String(json.image_processor_type ?? json.feature_extractor_type ?? '')
  const convNext = kind.startsWith('ConvNext')
  const r = json.resample ?? (convNext ? 3 : 2)
  const resample = RESAMPLE[r as number]
  if (!resample) throw bad('resample', r, '2 (bilinear) or 3 (bicubic)')
  let resize: ImageProcessor['resize'] = null
  let crop: Size | null = null
  if (json.do_resize !== false) {
    const size = json.size ?? { height: 224, width: 224 }
    const s = (dim(size) ? (convNext ? { shortest_edge: size } : { height: size, width: size }) : size) as Record<string, unknown>
    if (dim(s.height) && dim(s.width)) resize = { height: s.height, width: s.width }
    else if (dim(s.shortest_edge)) resize = { shortestEdge: s.shortest_edge }
    else throw bad('size', size, '{"height": H, "width": W}, {"shortest_edge": N} or a number')
    if (convNext && 'shortestEdge' in resize) {
      const pct = json.crop_pct ?? 224 / 256
      if (typeof pct !== 'number' || !(pct > 0 && pct <= 1)) throw bad('crop_pct', pct, 'a number in (0, 1]')
      const edge = resize.shortestEdge
      // ConvNextImageProcessor: below 384, resize the shortest edge to edge / crop_pct, then crop a square.
      if (edge < 384) [resize, crop] = [{ shortestEdge: Math.trunc(edge / pct) }, { height: edge, width: edge }]
      else resize = { height: edge, width: edge }
    }
  }
  if (json.do_center_crop === true && !convNext) {
    const c = json.crop_size ?? { height: 224, width: 224 }
    const cs = (dim(c) ? { height: c, width: c } : c) as Record<string, unknown>
    if (!dim(cs.height) || !dim(cs.width)) throw bad('crop_size', c, '{"height": H, "width": W} or a number')
    crop = { height: cs.height, width: cs.width }
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
  return { resize, resample, crop, rescale, normalize }
}

/** The size `resize` gives an image: fixed, or the shortest edge set and the long one scaled (truncated). */
function resizedSize(p: ImageProcessor, img: RgbImage): Size {
  if (!p.resize) return { height: img.height, width: img.width }
  if ('height' in p.resize) return { height: p.resize.height, width: p.resize.width }
  const edge = p.resize.shortestEdge
  const [short, long] = img.width <= img.height ? [img.width, img.height] : [img.height, img.width]
  const scaled = Math.trunc((edge * long) / short)
  return img.width <= img.height ? { height: scaled, width: edge } : { height: edge, width: scaled }
}

/** A center crop as `image_transforms.center_crop`: where the crop reaches past the image, zeros (its padding). */
function centerCrop(img: RgbImage, crop: Size): RgbImage {
  const top = Math.floor((img.height - crop.height) / 2)
  const left = Math.floor((img.width - crop.width) / 2)
  const out = new Uint8Array(crop.height * crop.width * 3)
  for (let y = 0; y < crop.height; y++) {
    const sy = top + y
    if (sy < 0 || sy >= img.height) continue
    const x0 = Math.max(0, -left)
    const x1 = Math.min(crop.width, img.width - left)
    if (x1 > x0) out.set(img.pixels.subarray((sy * img.width + left + x0) * 3, (sy * img.width + left + x1) * 3), (y * crop.width + x0) * 3)
  }
  return { height: crop.height, width: crop.width, pixels: out }
}

/** The image resized and cropped as the processor says (still 0..255). */
export function processImage(p: ImageProcessor, img: RgbImage): RgbImage {
  const size = resizedSize(p, img)
  const resized = p.resize ? resizeRgb(img, size.height, size.width, p.resample) : img
  return p.crop ? centerCrop(resized, p.crop) : resized
}

/** The size an image has after processing, to batch images of one size together. */
export function processedSize(p: ImageProcessor, img: RgbImage): string {
  const s = p.crop ?? resizedSize(p, img)
  return `${s.height}x${s.width}`
}

/** Images → one float32 batch `[n, 3, height, width]`; all must have one size after processing. */
export function pixelValues(p: ImageProcessor, images: readonly RgbImage[]): { data: Float32Array; dims: [number, number, number, number] } {
  const sized = images.map((img) => processImage(p, img))
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
