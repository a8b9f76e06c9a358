/** The train/validation split: a seeded shuffle (mulberry32 + Fisher–Yates), so the same seed always picks the same rows. */
import { mulberry32 } from '../data/seeded-random.js'
import { InvalidInput } from '../errors.js'

export interface SplitSpec { seed: number; validation_fraction: number }
export interface Split extends SplitSpec { train: Int32Array; validation: Int32Array }

export function splitRows(rows: number, spec: SplitSpec): Split {
  const { seed, validation_fraction: f } = spec
  if (!Number.isInteger(seed) || seed < 0) throw new InvalidInput(`seed must be a whole number >= 0, got ${seed}`, { field: 'seed', got: String(seed) })
  if (!(f >= 0 && f < 1)) throw new InvalidInput(`validation_fraction must be in [0, 1), got ${f}`, { field: 'validation_fraction', got: String(f) })
  const order = new Int32Array(rows)
  for (let i = 0; i < rows; i++) order[i] = i
  const random = mulberry32(seed)
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = order[i]!; order[i] = order[j]!; order[j] = t
  }
  const nValid = Math.round(rows * f)
  const validation = order.slice(0, nValid).sort()
  const train = order.slice(nValid).sort()
  if (train.length === 0) throw new InvalidInput(`the training set has ${rows} rows; none is left to train on`, { field: 'training-set', got: `${rows} rows` })
  return { seed, validation_fraction: f, train, validation }
}
