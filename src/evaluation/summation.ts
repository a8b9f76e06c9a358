/**
 * Sums over Float64Arrays in NumPy's order (pairwise, eight accumulators per block of 128), so
 * means and sums come out bit for bit as `np.add.reduce` gives them to scikit-learn.
 */
const BLOCK = 128

export function pairwiseSum(a: Float64Array, start = 0, n = a.length - start): number {
  if (n < 8) {
    let res = 0
    for (let i = start; i < start + n; i++) res += a[i]!
    return res
  }
  if (n <= BLOCK) {
    let r0 = a[start]!, r1 = a[start + 1]!, r2 = a[start + 2]!, r3 = a[start + 3]!
    let r4 = a[start + 4]!, r5 = a[start + 5]!, r6 = a[start + 6]!, r7 = a[start + 7]!
    let i = 8
    for (; i < n - (n % 8); i += 8) {
      r0 += a[start + i]!; r1 += a[start + i + 1]!; r2 += a[start + i + 2]!; r3 += a[start + i + 3]!
      r4 += a[start + i + 4]!; r5 += a[start + i + 5]!; r6 += a[start + i + 6]!; r7 += a[start + i + 7]!
    }
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for (; i < n; i++) res += a[start + i]!
    return res
  }
  let n2 = Math.floor(n / 2)
  n2 -= n2 % 8
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2)
}

export function mean(a: Float64Array): number {
  return pairwiseSum(a) / a.length
}
