/**
 * Decision trees flattened into typed arrays, and the tight row × tree loops that walk them.
 * Node `i` of the forest is a leaf when `feature[i] < 0`; its value(s) are `leaf[i * width ..]`.
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
  readonly feature: Int32Array
  readonly threshold: Float64Array
  readonly left: Int32Array
  readonly right: Int32Array
  readonly defaultLeft: Uint8Array
  readonly leaf: Float64Array
  /** Output column each tree adds to (0 when there is one). */
  readonly group: Int32Array
}

/**
 * Flattens `trees` into one set of arrays with absolute child indices. `round` is applied to
 * thresholds and leaf values (Math.fround for xgboost's float32 trees).
 */
export function flattenTrees(
  trees: readonly TreeNodes[], width: number, groups: ArrayLike<number> | null, round: (v: number) => number = (v) => v,
): TreeArrays {
  const nodes = trees.reduce((n, t) => n + t.feature.length, 0)
  const a = {
    trees: trees.length, nodes, width,
    roots: new Int32Array(trees.length), feature: new Int32Array(nodes), threshold: new Float64Array(nodes),
    left: new Int32Array(nodes), right: new Int32Array(nodes), defaultLeft: new Uint8Array(nodes),
    leaf: new Float64Array(nodes * width), group: new Int32Array(trees.length),
  }
  let base = 0
  for (const [k, t] of trees.entries()) {
    const n = t.feature.length
    if (t.threshold.length !== n || t.left.length !== n || t.right.length !== n || t.value.length !== n * width) {
      throw new Error(`tree ${k} has arrays of different lengths`)
    }
    a.roots[k] = base
    a.group[k] = groups ? groups[k]! : 0
    for (let i = 0; i < n; i++) {
      const l = t.left[i]!
      const r = t.right[i]!
      const leaf = l < 0
      if (!leaf && (l >= n || r < 0 || r >= n)) throw new Error(`tree ${k} node ${i} has children ${l}, ${r} outside the tree`)
      a.feature[base + i] = leaf ? -1 : t.feature[i]!
      a.threshold[base + i] = leaf ? 0 : round(t.threshold[i]!)
      a.left[base + i] = leaf ? -1 : base + l
      a.right[base + i] = leaf ? -1 : base + r
      a.defaultLeft[base + i] = t.defaultLeft && t.defaultLeft[i] ? 1 : 0
      for (let c = 0; c < width; c++) a.leaf[(base + i) * width + c] = leaf ? round(t.value[i * width + c]!) : 0
    }
    checkAcyclic(t, k)
    base += n
  }
  return a
}

// Every node reachable from the root is reached once, so a walk always ends at a leaf.
function checkAcyclic(t: TreeNodes, k: number): void {
  const seen = new Uint8Array(t.feature.length)
  const stack = [0]
  while (stack.length > 0) {
    const i = stack.pop()!
    if (seen[i]) throw new Error(`tree ${k} reaches node ${i} twice`)
    seen[i] = 1
    if (t.left[i]! >= 0) stack.push(t.left[i]!, t.right[i]!)
  }
}

/** Largest feature index any split reads, or -1. */
export function maxFeature(t: TreeArrays): number {
  let m = -1
  for (let i = 0; i < t.nodes; i++) if (t.feature[i]! > m) m = t.feature[i]!
  return m
}

/**
 * XGBoost's prediction: features as float32, `x < threshold` goes left, NaN takes the node's
 * default direction, and each tree's leaf is added to its group's float32 margin in tree order.
 * `out` holds `rows × groups` margins, initialised with the base margin by the caller.
 */
export function xgboostMargins(t: TreeArrays, treeEnd: number, x: Float32Array, rows: number, nFeatures: number, out: Float32Array, groups: number): void {
  const { roots, feature, threshold, left, right, defaultLeft, leaf, group } = t
  for (let r = 0; r < rows; r++) {
    const xo = r * nFeatures
    const oo = r * groups
    for (let k = 0; k < treeEnd; k++) {
      let n = roots[k]!
      let f = feature[n]!
      while (f >= 0) {
        const v = x[xo + f]!
        n = v !== v ? (defaultLeft[n] ? left[n]! : right[n]!) : v < threshold[n]! ? left[n]! : right[n]!
        f = feature[n]!
      }
      // A Float32Array store rounds the double sum to float32, exactly as XGBoost's float += does.
      out[oo + group[k]!]! += leaf[n]!
    }
  }
}

/** Leaf index reached by each row in each tree (sklearn: float32 `x <= threshold` goes left). */
function sklearnLeaf(t: TreeArrays, k: number, x: Float32Array, xo: number): number {
  const { feature, threshold, left, right } = t
  let n = t.roots[k]!
  let f = feature[n]!
  while (f >= 0) {
    n = x[xo + f]! <= threshold[n]! ? left[n]! : right[n]!
    f = feature[n]!
  }
  return n
}

/**
 * sklearn's tree ensembles: `out[row, group(k) or c] += scale * leaf` over trees in order, in
 * float64 (`scale` is the learning rate for gradient boosting; 1 for forests, whose leaves are
 * vectors of `width` values). `out` is initialised by the caller.
 */
export function sklearnSums(t: TreeArrays, x: Float32Array, rows: number, nFeatures: number, out: Float64Array, outWidth: number, scale: number | null): void {
  const { leaf, width, group, trees } = t
  for (let r = 0; r < rows; r++) {
    const xo = r * nFeatures
    const oo = r * outWidth
    for (let k = 0; k < trees; k++) {
      const n = sklearnLeaf(t, k, x, xo)
      if (scale !== null) out[oo + group[k]!]! += scale * leaf[n]!
      else for (let c = 0; c < width; c++) out[oo + c]! += leaf[n * width + c]!
    }
  }
}

/** The leaf each row reaches in a single tree. */
export function sklearnLeaves(t: TreeArrays, x: Float32Array, rows: number, nFeatures: number): Int32Array {
  const out = new Int32Array(rows)
  for (let r = 0; r < rows; r++) out[r] = sklearnLeaf(t, 0, x, r * nFeatures)
  return out
}

/** The distinct split thresholds of each feature, sorted (used to place verification rows). */
export function thresholdsByFeature(t: TreeArrays, nFeatures: number): number[][] {
  const sets = Array.from({ length: nFeatures }, () => new Set<number>())
  for (let i = 0; i < t.nodes; i++) if (t.feature[i]! >= 0) sets[t.feature[i]!]!.add(t.threshold[i]!)
  return sets.map((s) => [...s].sort((a, b) => a - b))
}
