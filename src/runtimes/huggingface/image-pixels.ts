/**
 * SPEC §10's image input, `inputs` [[[int64]3]W]H (rows of pixels of R, G, B), read straight from
 * the Arrow buffers into RGB images, each value checked to be an integer 0..255 as Pillow needs.
 * (Arrow JS keeps value and offset buffers sliced to a Data's start; only validity bitmaps use its offset.)
 */
import type * as arrow from 'apache-arrow'
import { isValidAt } from '../../data/arrow-data.js'
import { InvalidInput } from '../../errors.js'
import type { RgbImage } from './pil-resize.js'

const fail = (row: number, message: string, expected: string, got: string) =>
  new InvalidInput(`inputs at row ${row}: ${message}`, { field: 'inputs', row, expected, got })

/** The images of a column of type list<list<fixed_size_list<int>[3]>>, one per row. */
export function readImages(col: arrow.Vector): RgbImage[] {
  const images: RgbImage[] = []
  for (const image of col.data) {
    const rows = image.children[0]
    const pixels = rows?.children[0]
    const values = pixels?.children[0]
    if (!rows || !pixels || !values || (pixels.type as { listSize?: number }).listSize !== 3) {
      throw new InvalidInput(`inputs must be rows of pixels of 3 values (R, G, B), got ${String(col.type)}`, { field: 'inputs', expected: '[[[int64]3]W]H', got: String(col.type) })
    }
    for (let i = 0; i < image.length; i++) images.push(readImage(image, rows, pixels, values, i, images.length))
  }
  return images
}

function readImage(image: arrow.Data, rows: arrow.Data, pixels: arrow.Data, values: arrow.Data, i: number, row: number): RgbImage {
  if (!isValidAt(image, i)) throw fail(row, 'the image is null', 'an image', 'null')
  const outer = image.valueOffsets as Int32Array
  const y0 = outer[i]!
  const height = outer[i + 1]! - y0
  if (height === 0) throw fail(row, 'the image has no rows of pixels', 'at least 1 × 1 pixels', '0 rows')
  const inner = rows.valueOffsets as Int32Array
  const width = inner[y0 + 1]! - inner[y0]!
  if (width === 0) throw fail(row, 'the image has no pixels in its first row', 'at least 1 × 1 pixels', '0 pixels')
  const out = new Uint8Array(height * width * 3)
  const raw = values.values as ArrayLike<number | bigint>
  for (let y = 0; y < height; y++) {
    if (!isValidAt(rows, y0 + y)) throw fail(row, `pixel row ${y} is null`, 'a row of pixels', 'null')
    const p0 = inner[y0 + y]!
    const w = inner[y0 + y + 1]! - p0
    if (w !== width) throw fail(row, `pixel row ${y} has ${w} pixels but row 0 has ${width}; an image is a rectangle`, `${width} pixels`, `${w} pixels`)
    for (let x = 0; x < width; x++) {
      const p = p0 + x
      if (pixels.nullCount > 0 && !isValidAt(pixels, p)) throw fail(row, `pixel (${y}, ${x}) is null`, '3 values', 'null')
      for (let c = 0; c < 3; c++) {
        const k = p * 3 + c
        if (values.nullCount > 0 && !isValidAt(values, k)) throw fail(row, `pixel (${y}, ${x}) channel ${c} is null`, 'an integer 0..255', 'null')
        const v = Number(raw[k]!)
        if (!(v >= 0 && v <= 255 && Number.isInteger(v))) throw fail(row, `pixel (${y}, ${x}) channel ${c} is ${v}; pixel values are integers 0..255`, 'an integer 0..255', String(v))
        out[(y * width + x) * 3 + c] = v
      }
    }
  }
  return { height, width, pixels: out }
}
