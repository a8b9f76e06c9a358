/**
 * Pillow's `Image.resize` for 8-bit RGB images (ImagingResample in Resample.c), which Hugging
 * Face's image processors call to resize: a separable convolution, horizontal pass then vertical,
 * whose filter widens by the scale when shrinking (antialiasing), with coefficients in 22-bit fixed
 * point and each pass rounded and clipped to 0..255. Written out so resized pixels match Pillow's.
 */

export type Resample = 'bilinear' | 'bicubic'

/** An RGB image, pixels row by row, 3 bytes each (height × width × 3). */
export interface RgbImage {
  height: number
  width: number
  pixels: Uint8Array
}

const PRECISION_BITS = 32 - 8 - 2

const FILTERS: Record<Resample, { support: number; f: (x: number) => number }> = {
  bilinear: { support: 1, f: (x) => (Math.abs(x) < 1 ? 1 - Math.abs(x) : 0) },
  bicubic: {
    support: 2,
    f: (x) => {
      const a = -0.5
      x = Math.abs(x)
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a
      return 0
    },
  },
}

interface Coefficients {
  ksize: number
  /** Per output position: first input index and count. */
  bounds: Int32Array
  /** Fixed-point weights, `ksize` per output position. */
  kk: Int32Array
}

function coefficients(inSize: number, outSize: number, resample: Resample): Coefficients {
  const filter = FILTERS[resample]
  const scale = inSize / outSize
  const filterscale = Math.max(scale, 1)
  const support = filter.support * filterscale
  const ksize = Math.ceil(support) * 2 + 1
  const bounds = new Int32Array(outSize * 2)
  const kk = new Int32Array(outSize * ksize)
  const k = new Float64Array(ksize)
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0)
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin
    let ww = 0
    for (let x = 0; x < xmax; x++) ww += k[x] = filter.f((x + xmin - center + 0.5) / filterscale)
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x]! / ww : k[x]!
      kk[xx * ksize + x] = Math.trunc(w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS))
    }
    bounds[xx * 2] = xmin
    bounds[xx * 2 + 1] = xmax
  }
  return { ksize, bounds, kk }
}

/** Sums are 32-bit integers as in Pillow: at most 255 · 2^22 · (the weights' positive part, < 1.3) < 2^31. */
function clip8(v: number): number {
  if (v >= 1 << (PRECISION_BITS + 8)) return 255
  if (v <= 0) return 0
  return v >> PRECISION_BITS
}

/** The horizontal pass over source rows `first` … `first + outH - 1`. */
function horizontalPass(src: RgbImage, c: Coefficients, outW: number, outH: number, first: number): RgbImage {
  const out = new Uint8Array(outW * outH * 3)
  const { bounds, kk, ksize } = c
  const px = src.pixels
  const half = 1 << (PRECISION_BITS - 1)
  for (let y = 0; y < outH; y++) {
    const row = (y + first) * src.width
    for (let x = 0; x < outW; x++) {
      const count = bounds[x * 2 + 1]!
      const k0 = x * ksize
      let p = (row + bounds[x * 2]!) * 3
      let r = half
      let g = half
      let b = half
      for (let j = 0; j < count; j++, p += 3) {
        const w = kk[k0 + j]!
        r = (r + Math.imul(px[p]!, w)) | 0
        g = (g + Math.imul(px[p + 1]!, w)) | 0
        b = (b + Math.imul(px[p + 2]!, w)) | 0
      }
      const q = (y * outW + x) * 3
      out[q] = clip8(r)
      out[q + 1] = clip8(g)
      out[q + 2] = clip8(b)
    }
  }
  return { height: outH, width: outW, pixels: out }
}

/** The vertical pass; the source's row 0 is the original's row `first`. */
function verticalPass(src: RgbImage, c: Coefficients, outH: number, first: number): RgbImage {
  const width = src.width
  const rowLen = width * 3
  const out = new Uint8Array(outH * rowLen)
  const acc = new Int32Array(rowLen)
  const { bounds, kk, ksize } = c
  const px = src.pixels
  const half = 1 << (PRECISION_BITS - 1)
  for (let y = 0; y < outH; y++) {
    acc.fill(half)
    const count = bounds[y * 2 + 1]!
    const from = bounds[y * 2]! - first
    for (let j = 0; j < count; j++) {
      const w = kk[y * ksize + j]!
      const p = (from + j) * rowLen
      for (let i = 0; i < rowLen; i++) acc[i] = (acc[i]! + Math.imul(px[p + i]!, w)) | 0
    }
    const q = y * rowLen
    for (let i = 0; i < rowLen; i++) out[q + i] = clip8(acc[i]!)
  }
  return { height: outH, width, pixels: out }
}

/** The image resized to `height` × `width` as Pillow resizes it; the same image when the size already fits. */
export function resizeRgb(img: RgbImage, height: number, width: number, resample: Resample): RgbImage {
  if (img.height === height && img.width === width) return img
  const horiz = coefficients(img.width, width, resample)
  const vert = coefficients(img.height, height, resample)
  // The horizontal pass computes only the source rows the vertical pass reads.
  const first = vert.bounds[0]!
  const last = vert.bounds[height * 2 - 2]! + vert.bounds[height * 2 - 1]!
  let cur = img
  let offset = 0
  if (img.width !== width) {
    cur = horizontalPass(img, horiz, width, last - first, first)
    offset = first
  }
  if (img.height !== height) cur = verticalPass(cur, vert, height, offset)
  return cur
}
