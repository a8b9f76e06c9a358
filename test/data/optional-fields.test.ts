/**
 * SPEC §10: optional inputs may be left out. A schema field marked `optional` (which must be
 * nullable) that the input does not carry is read as a column of nulls, in every input form; a
 * field not so marked is still refused when missing, nullable or not.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as arrow from 'apache-arrow'
import type { InferInput } from '../../src/data/infer-input.js'
import { parseSchema } from '../../src/data/schema.js'
import { readTable } from '../../src/data/table-input.js'
import { columnValues } from '../helpers/arrow-values.js'

const SCHEMA = parseSchema([
  { name: 'inputs', type: 'string', nullable: false },
  { name: 'top_k', type: 'int64', nullable: true, optional: true },
  { name: 'labels', type: { list: 'string', size: null }, optional: true },
  { name: 'note', type: 'string', nullable: true },
])

describe('optional schema fields', () => {
  it('parses `optional` only as a boolean on a nullable field, and keeps it out of required fields', () => {
    assert.deepEqual(SCHEMA.map((f) => f.optional ?? false), [false, true, true, false])
    assert.deepEqual(parseSchema([{ name: 'a', type: 'int64', optional: false }]), [{ name: 'a', type: 'int64', nullable: true }])
    assert.throws(() => parseSchema([{ name: 'k', type: 'int64', nullable: false, optional: true }]),
      /schema\[0\] \('k'\) is optional but not nullable; a field left out of the input is all nulls, so an optional field must be nullable/)
    assert.throws(() => parseSchema([{ name: 'k', type: 'int64', optional: 'yes' }]), /schema\[0\]\.optional must be true or false, got "yes"/)
  })

  it('reads an optional field left out of records, columns, CSV and Arrow as nulls', async () => {
    const forms: [string, InferInput][] = [
      ['records', { kind: 'json', value: [{ inputs: 'a', note: 'x' }, { inputs: 'b', note: null }] }],
      ['columns', { kind: 'json', value: { columns: { inputs: ['a', 'b'], note: ['x', null] } } }],
      ['csv', { kind: 'csv', text: 'inputs,note\na,x\nb,\n' }],
      ['arrow', { kind: 'table', table: new arrow.Table({ inputs: arrow.vectorFromArray(['a', 'b'], new arrow.Utf8()), note: arrow.vectorFromArray(['x', null], new arrow.Utf8()) }) }],
    ]
    for (const [form, input] of forms) {
      const t = await readTable(input, SCHEMA, { nullsAllowed: true })
      assert.deepEqual(t.schema.fields.map((f) => f.name), ['inputs', 'top_k', 'labels', 'note'], form)
      assert.deepEqual(columnValues(t, 'inputs'), ['a', 'b'], form)
      assert.deepEqual(columnValues(t, 'top_k'), [null, null], form)
      assert.deepEqual(columnValues(t, 'labels'), [null, null], form)
      assert.equal(t.getChild('top_k')!.type.toString(), 'Int64', form)
    }
    const given = await readTable({ kind: 'json', value: [{ inputs: 'a', top_k: 2, note: null }, { inputs: 'b', note: null }] }, SCHEMA, { nullsAllowed: true })
    assert.deepEqual(columnValues(given, 'top_k'), [2, null])
  })

  it('still refuses a missing field that is only nullable, and an optional one where no null may go', async () => {
    for (const input of [
      { kind: 'json', value: [{ inputs: 'a' }] },
      { kind: 'json', value: { columns: { inputs: ['a'] } } },
      { kind: 'csv', text: 'inputs\na\n' },
    ] as InferInput[]) {
      await assert.rejects(readTable(input, SCHEMA, { nullsAllowed: true }), /input is missing field 'note' \(expected string\)/)
    }
    await assert.rejects(readTable({ kind: 'json', value: [{ inputs: 'a', note: 'x' }] }, SCHEMA, { nullsAllowed: false }),
      /top_k.*row 0.*null/)
  })
})
