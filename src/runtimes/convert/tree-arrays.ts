/**
 * Decision trees flattened into typed arrays, and the loops that walk them. Each tree is laid out
 * breadth first with the two children of a node side by side (`right = left + 1`), and a leaf
 * points at itself with a NaN threshold, so a walk is a fixed number of branch-free steps
 * `n = left[n] + goesRight` (the tree's depth) whatever the leaf depth: no mispredicted branches.
 */

/** One tree as the libraries store it: parallel arrays indexed by node, children -1 at leaves. */
export interface TreeNodes {
  feature: ArrayLike<number>
  threshold: ArrayLike<number>
  left: ArrayLike<number>
  right: ArrayLike<number>
  defaultLeft?: ArrayLike<number | boolean>
  /** `width` values per node (only leaves are read). */
  value: ArrayLike<number>
}

export interface TreeArrays {
  readonly trees: number
  readonly nodes: number
  readonly width: number
  readonly roots: Int32Array
  /** Levels below the root of each tree's deepest leaf. */
  readonly depth: Int32Array
  /** Feature a node splits on (0 at leaves, which never look at it). */
  readonly feature: Int32Array
  /** Split value; NaN at leaves, so no comparison sends a walk onward from there. */
  readonly threshold: Float64Array
  /** First of the two adjacent children; the node itself at leaves. */
  readonly left: Int32Array
  readonly isLeaf: Uint8Array
  /** 1 where a missing value (NaN) goes right (xgboost's default direction). */
  readonly nanRight: Uint8Array
  readonly leaf: Float64Array
  /** Output column each tree adds to (0 when there is one). */
  readonly group: Int32Array
}

/**
 * Flattens `trees` into one set of arrays. `round` is applied to thresholds and leaf values
 * (Math.fround for xgboost's float32 trees). Nodes unreachable from a root are dropped; a node
 * reached twice (a malformed tree) is refused.
 */
export function flattenTrees(
  trees: readonly TreeNodes[], width: number, groups: ArrayLike<number> | null, round: (v: number) => number = (v) => v,
): TreeArrays {
  const orders = trees.map(breadthFirst)
  const nodes = orders.reduce((n, o) => n + o.order.length, 0)
  const a = {
    trees: trees.length, nodes, width,
    roots: new Int32Array(trees.length), depth: new Int32Array(trees.length), feature: new Int32Array(nodes),
    threshold: new Float64Array(nodes), left: new Int32Array(nodes), isLeaf: new Uint8Array(nodes), nanRight: new Uint8Array(nodes),
    leaf: new Float64Array(nodes * width), group: new Int32Array(trees.length),
  }
  let base = 0
  for (const [k, t] of trees.entries()) {
    const { order, position, depth } = orders[k]!
    if (t.threshold.length !== t.feature.length || t.value.length !== t.feature.length * width) throw new Error(`tree ${k} has arrays of different lengths`)
    a.roots[k] = base
    a.depth[k] = depth
    a.group[k] = groups ? groups[k]! : 0
    for (const [j, i] of order.entries()) {
      const at = base + j
      const l = t.left[i]!
      if (l < 0) {
        a.left[at] = at
        a.isLeaf[at] = 1
        a.threshold[at] = NaN
        for (let c = 0; c < width; c++) a.leaf[at * width + c] = round(t.value[i * width + c]!)
      } else {
        a.left[at] = base + position[l]!
        a.feature[at] = t.feature[i]!
        a.threshold[at] = round(t.threshold[i]!)
        a.nanRight[at] = t.defaultLeft && t.defaultLeft[i] ? 0 : 1
      }
    }
    base += order.length
  }
  return a
}

/** Breadth-first order with children adjacent: `order[j]` is the source node at position j. */
function breadthFirst(t: TreeNodes, k: number): { order: number[]; position: Int32Array; depth: number } {
  const n = t.feature.length
  const position = new Int32Array(n).fill(-1)
  const level = new Int32Array(n)
  const order = [0]
  position[0] = 0
  let depth = 0
  for (let j = 0; j < order.length; j++) {
    const i = order[j]!
    const l = t.left[i]!
    if (l < 0) continue
    const r = t.right[i]!
    if (l >= n || r < 0 || r >= n) throw new Error(`tree ${k} node ${i} has children ${l}, ${r} outside the tree`)
    if (position[l] !== -1 || position[r] !== -1 || l === r) throw new Error(`tree ${k} reaches node ${position[l] !== -1 ? l : r} twice`)
    position[l] = order.length
    position[r] = order.length + 1
    order.push(l, r)
    level[l] = level[r] = level[i]! + 1
    depth = Math.max(depth, level[i]! + 1)
  }
  return { order, position, depth }
}

/** Largest feature index any split reads, or -1. */
export function maxFeature(t: TreeArrays): number {
  let m = -1
  for (let i = 0; i < t.nodes; i++) if (!t.isLeaf[i] && t.feature[i]! > m) m = t.feature[i]!
  return m
}

/** The distinct split thresholds of each feature, sorted (used to place verification rows). */
export function thresholdsByFeature(t: TreeArrays, nFeatures: number): number[][] {
  const sets = Array.from({ length: nFeatures }, () => new Set<number>())
  for (let i = 0; i < t.nodes; i++) if (!t.isLeaf[i]) sets[t.feature[i]!]!.add(t.threshold[i]!)
  return sets.map((s) => [...s].sort((a, b) => a - b))
}

/**
 * XGBoost's prediction: features as float32, `x < threshold` goes left, NaN takes the node's
 * default direction, and each tree's leaf is added to its group's float32 margin in tree order.
 * `out` holds `rows × groups` margins, initialised with the base margin by the caller.
 *
 * Rows are walked four at a time through each tree: a walk is a chain of dependent loads, so four
 * independent chains in one loop keep the core busy while each waits. Each row still adds its
 * trees' leaves in tree order, so the sums are the same as one row at a time.
 */
export function xgboostMargins(t: TreeArrays, treeEnd: number, x: Float32Array, rows: number, nFeatures: number, out: Float32Array, groups: number): void {
  const { roots, depth, feature, threshold, left, nanRight, leaf, group } = t
  const four = rows - (rows % 4)
  for (let r = 0; r < four; r += 4) {
    const xa = r * nFeatures, xb = xa + nFeatures, xc = xb + nFeatures, xd = xc + nFeatures
    const oa = r * groups, ob = oa + groups, oc = ob + groups, od = oc + groups
    for (let k = 0; k < treeEnd; k++) {
      let a = roots[k]!, b = a, c = a, d = a
      for (let s = depth[k]!; s > 0; s--) {
        const va = x[xa + feature[a]!]!, vb = x[xb + feature[b]!]!, vc = x[xc + feature[c]!]!, vd = x[xd + feature[d]!]!
        a = left[a]! + (+(va >= threshold[a]!) | (nanRight[a]! & +(va !== va)))
        b = left[b]! + (+(vb >= threshold[b]!) | (nanRight[b]! & +(vb !== vb)))
        c = left[c]! + (+(vc >= threshold[c]!) | (nanRight[c]! & +(vc !== vc)))
        d = left[d]! + (+(vd >= threshold[d]!) | (nanRight[d]! & +(vd !== vd)))
      }
      const g = group[k]!
      // A Float32Array store rounds the double sum to float32, exactly as XGBoost's float += does.
      out[oa + g]! += leaf[a]!
      out[ob + g]! += leaf[b]!
      out[oc + g]! += leaf[c]!
      out[od + g]! += leaf[d]!
    }
  }
  for (let r = four; r < rows; r++) {
    const xo = r * nFeatures
    const oo = r * groups
    for (let k = 0; k < treeEnd; k++) {
      let n = roots[k]!
      for (let d = depth[k]!; d > 0; d--) {
        const v = x[xo + feature[n]!]!
        // Right when x >= threshold, or when x is NaN and the default is right; leaves stay put.
        n = left[n]! + (+(v >= threshold[n]!) | (nanRight[n]! & +(v !== v)))
      }
      out[oo + group[k]!]! += leaf[n]!
    }
  }
}

/** The leaf row `xo / nFeatures` reaches in tree `k` (sklearn: float32 `x <= threshold` goes left). */
function sklearnLeaf(t: TreeArrays, k: number, x: Float32Array, xo: number): number {
  const { feature, threshold, left, isLeaf } = t
  let n = t.roots[k]!
  // sklearn trees are unbalanced (leaves at any depth), so stop at the leaf rather than walk the full depth.
  while (isLeaf[n] === 0) n = left[n]! + +(x[xo + feature[n]!]! > threshold[n]!)
  return n
}

/**
 * sklearn's tree ensembles: `out[row, group(k) or c] += scale * leaf` over trees in order, in
 * float64 (`scale` is the learning rate for gradient boosting; null for forests, whose leaves are
 * vectors of `width` values added as they are). `out` is initialised by the caller. Rows go four
 * at a time through each tree, as in {@link xgboostMargins}; a walk that reached its leaf stays
 * there (NaN threshold, `left` = itself) until the other three have reached theirs.
 */
export function sklearnSums(t: TreeArrays, x: Float32Array, rows: number, nFeatures: number, out: Float64Array, outWidth: number, scale: number | null): void {
  const { leaf, width, group, trees, roots, feature, threshold, left, isLeaf } = t
  const four = rows - (rows % 4)
  for (let r = 0; r < four; r += 4) {
    const xa = r * nFeatures, xb = xa + nFeatures, xc = xb + nFeatures, xd = xc + nFeatures
    const oa = r * outWidth, ob = oa + outWidth, oc = ob + outWidth, od = oc + outWidth
    for (let k = 0; k < trees; k++) {
      let a = roots[k]!, b = a, c = a, d = a
      while ((isLeaf[a]! & isLeaf[b]! & isLeaf[c]! & isLeaf[d]!) === 0) {
        a = left[a]! + +(x[xa + feature[a]!]! > threshold[a]!)
        b = left[b]! + +(x[xb + feature[b]!]! > threshold[b]!)
        c = left[c]! + +(x[xc + feature[c]!]! > threshold[c]!)
        d = left[d]! + +(x[xd + feature[d]!]! > threshold[d]!)
      }
      if (scale !== null) {
        const g = group[k]!
        out[oa + g]! += scale * leaf[a]!
        out[ob + g]! += scale * leaf[b]!
        out[oc + g]! += scale * leaf[c]!
        out[od + g]! += scale * leaf[d]!
      } else {
        for (let j = 0; j < width; j++) {
          out[oa + j]! += leaf[a * width + j]!
          out[ob + j]! += leaf[b * width + j]!
          out[oc + j]! += leaf[c * width + j]!
          out[od + j]! += leaf[d * width + j]!
        }
      }
    }
  }
  for (let r = four; r < rows; r++) {
    const xo = r * nFeatures
    const oo = r * outWidth
    for (let k = 0; k < trees; k++) {
      const n = sklearnLeaf(t, k, x, xo)
      if (scale !== null) out[oo + group[k]!]! += scale * leaf[n]!
      else for (let c = 0; c < width; c++) out[oo + c]! += leaf[n * width + c]!
    }
  }
}

/** The leaf each row reaches in the first tree. */
export function sklearnLeaves(t: TreeArrays, x: Float32Array, rows: number, nFeatures: number): Int32Array {
  const out = new Int32Array(rows)
  for (let r = 0; r < rows; r++) out[r] = sklearnLeaf(t, 0, x, r * nFeatures)
  return out
}

/** Largest float32 feature buffer an evaluator keeps between batches (64 MiB). */
const SCRATCH_MAX_VALUES = 16 * 1024 * 1024

/**
 * The features as float32 in a buffer the evaluator keeps between batches: a fresh buffer costs a
 * page fault per 4 KiB on every batch. Valid until the next call; never part of an output.
 */
export class Float32Scratch {
  #buffer = new Float32Array(0)

  of(x: Float64Array, length: number): Float32Array {
    const src = x.length === length ? x : x.subarray(0, length)
    if (length > SCRATCH_MAX_VALUES) return new Float32Array(src)
    if (this.#buffer.length < length) this.#buffer = new Float32Array(length)
    const view = this.#buffer.subarray(0, length)
    view.set(src)
    return view
  }
}
