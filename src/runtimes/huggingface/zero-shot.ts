/**
 * `zero-shot-classification` as Hugging Face's pipeline does it: each candidate label becomes a
 * hypothesis (`hypothesis_template`, default "This example is {}."), an NLI model scores the pair
 * (sequence, hypothesis), and the entailment logits are softmaxed over the labels, or, with
 * `multi_label` (or a single label), entailment against contradiction per label.
 */
import type * as arrow from 'apache-arrow'
import { buildColumn } from '../../data/column-builder.js'
import { InvalidInput, RuntimeFailure } from '../../errors.js'
import { encode, runFirstOutput, type HfModel } from './hf-model.js'
import type { HfTask } from './hf-tasks.js'

export const zeroShotClassification: HfTask = {
  inputSchema: () => [
    { name: 'inputs', type: 'string', nullable: false },
    { name: 'candidate_labels', type: { list: 'string', size: null }, nullable: false },
    { name: 'hypothesis_template', type: 'string', nullable: true, optional: true },
    { name: 'multi_label', type: 'bool', nullable: true, optional: true },
  ],
  outputSchema: () => [
    { name: 'sequence', type: 'string', nullable: false },
    { name: 'scores', type: { list: 'float64', size: null }, nullable: false },
    { name: 'labels', type: { list: 'string', size: null }, nullable: false },
  ],
  async run(model, input) {
    const { entail, contra } = nliLabels(model)
    const rows = input.numRows
    const seqCol = input.getChild('inputs')!
    const labelCol = input.getChild('candidate_labels')!
    const templateCol = input.getChild('hypothesis_template')
    const multiCol = input.getChild('multi_label')
    const sequences: string[] = []
    const labelsOut: string[][] = []
    const scoresOut: number[][] = []
    for (let i = 0; i < rows; i++) {
      const sequence = String(seqCol.get(i))
      const labels = Array.from((labelCol.get(i) as arrow.Vector | null) ?? [], String)
      if (labels.length === 0) throw new InvalidInput(`candidate_labels at row ${i} is empty; give at least one label`, { field: 'candidate_labels', row: i })
      const template = (templateCol?.get(i) as string | null) ?? 'This example is {}.'
      if (!template.includes('{}')) throw new InvalidInput(`hypothesis_template at row ${i} has no {} for the label: ${JSON.stringify(template)}`, { field: 'hypothesis_template', row: i })
      const { feeds } = encode(model, labels.map(() => sequence), labels.map((l) => template.replace('{}', l)))
      const { data, dims } = await runFirstOutput(model, feeds)
      const k = dims[1]!
      if (dims.length !== 2 || dims[0] !== labels.length) throw new RuntimeFailure(`the model answered shape [${dims.join(', ')}]; an NLI model answers logits [pairs, labels]`)
      const multi = (multiCol?.get(i) as boolean | null) ?? false
      const scores = multi || labels.length === 1
        ? labels.map((_, j) => {
          const e = data[j * k + entail]!
          const c = data[j * k + contra]!
          return 1 / (1 + Math.exp(c - e))
        })
        : softmax(labels.map((_, j) => data[j * k + entail]!))
      const order = scores.map((_, j) => j).sort((a, b) => scores[b]! - scores[a]!)
      sequences.push(sequence)
      labelsOut.push(order.map((j) => labels[j]!))
      scoresOut.push(order.map((j) => scores[j]!))
    }
    const ctx = (field: string) => ({ field, rowOf: (i: number) => i, nullsAllowed: false, allowNull: false })
    return [
      buildColumn(sequences, 'string', ctx('sequence')),
      buildColumn(scoresOut, { list: 'float64', size: null }, ctx('scores')),
      buildColumn(labelsOut, { list: 'string', size: null }, ctx('labels')),
    ]
  },
}

function nliLabels(model: HfModel): { entail: number; contra: number } {
  const id2label = model.config.id2label ?? {}
  const find = (prefix: string) => Number(Object.entries(id2label).find(([, l]) => l.toLowerCase().startsWith(prefix))?.[0] ?? -1)
  const entail = find('entail')
  const contra = find('contra')
  if (entail < 0 || contra < 0) {
    throw new InvalidInput(`zero-shot-classification needs an NLI model whose config.json id2label has entailment and contradiction labels; it has ${Object.values(id2label).join(', ') || 'none'}`, { field: 'config.json' })
  }
  return { entail, contra }
}

function softmax(xs: number[]): number[] {
  const max = Math.max(...xs)
  const e = xs.map((x) => Math.exp(x - max))
  const sum = e.reduce((a, b) => a + b, 0)
  return e.map((x) => x / sum)
}
