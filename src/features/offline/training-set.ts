/**
 * Point-in-time training sets (SPEC §7): every spine row, in order and with all its columns, plus
 * each requested feature as of the row's time — the latest source row of that entity at or before
 * it (after `time - window` with `--window`, else within the set's ttl), never a later one. DuckDB's
 * ASOF JOIN finds those rows; derived features are then computed from the as-of inputs by the
 * same code as online fetch and batch enrichment.
 */
import { resolve } from 'node:path'
import { readFile } from 'node:fs/promises'
import * as arrow from 'apache-arrow'
import { InvalidInput } from '../../errors.js'
import { streamQuery, unreadable } from '../../data/duckdb/arrow-query.js'
import { createTableFromArrow } from '../../data/duckdb/arrow-to-duckdb.js'
import { sqlIdent as id, tempName, withOwnConnection } from '../../data/duckdb/database.js'
import { fileRelation, requireFile } from '../../data/duckdb/file-input.js'
import { formatOfPath } from '../../data/duckdb/files.js'
import { TableFileWriter } from '../../data/duckdb/table-writer.js'
import type { VersionRecord } from '../../records/version-record.js'
import { parseDuration, type FeatureSetDefinition } from '../definition.js'
import { planDerived } from '../derived.js'
import { addFeatures, groupFeatures, type FeatureGroup, type OfflineDeps, type OfflineResult } from './enrich.js'
import { describeQuery } from './duckdb-engine.js'
import { sourceRelation } from './source-relation.js'
import { typeSourceColumns } from '../validate-set.js'
import type { TrainingSetRequest } from './offline-types.js'

export type { TrainingSetRequest } from './offline-types.js'

const ROW = '__quiver_row'
const T = '__quiver_t'
const work = (g: number, column: string) => `__quiver_w${g}.${column}`

/** One as-of joined source: its alias, set, and the condition under which its row counts. */
interface Joined { alias: string; set: FeatureSetDefinition; fresh: string }

export async function buildTrainingSet(req: TrainingSetRequest, deps: OfflineDeps): Promise<OfflineResult & { lineage: { feature: string; trainingSet: string }[] }> {
  const started = performance.now()
  formatOfPath(req.output, 'output')
  formatOfPath(req.spine, 'spine')
  const { groups, related } = await groupFeatures(req.features, deps, 'features')
  const windowMs = req.window === undefined ? undefined : parseDuration(req.window, 'window')
  if (req.label !== undefined && req.features.includes(req.label)) throw new InvalidInput(`--label ${req.label} is also a requested feature`, { field: 'label' })
  await requireFile(req.spine, 'spine')
  const plans = groups.map((g) => planDerived(g.set, g.requested, related))
  return withOwnConnection(async (c) => {
    let spineRel: string
    if (formatOfPath(req.spine, 'spine') === 'arrow') {
      spineRel = id(tempName('spine'))
      await createTableFromArrow(c, spineRel.slice(1, -1), arrow.tableFromIPC(await readFile(req.spine)))
    } else {
      spineRel = fileRelation(req.spine, 'spine')
    }
    const spineCols = (await describeQuery(`SELECT * FROM ${spineRel}`, `spine ${req.spine}`)).map((f) => f.name)
    const time = req.time ?? groups[0]!.set.event_time
    const need = (col: string, why: string) => {
      if (!spineCols.includes(col)) {
        throw new InvalidInput(`spine ${req.spine} has no ${why} column '${col}' (columns: ${spineCols.join(', ')})`, {
          field: col, expected: `a spine column '${col}'`, got: spineCols.join(', '),
        })
      }
    }
    need(time, req.time === undefined ? 'timestamp (give its name with --time)' : 'timestamp')
    if (req.label !== undefined) need(req.label, 'label')
    for (const g of groups) for (const k of g.set.entity) need(k, `entity key (of ${g.set.name})`)

    const spineTime = `sp.${id(time)}::TIMESTAMP`
    const ctes = [`sp AS (SELECT *, row_number() OVER () AS ${ROW} FROM ${spineRel})`]
    const joins: string[] = []
    const joined = new Map<string, Joined>()
    const sourceCte = async (set: FeatureSetDefinition) => {
      const rel = await sourceRelation(set)
      const label = 'path' in set.source ? set.source.path : 'the SQL source'
      typeSourceColumns(set, await describeQuery(`SELECT * FROM ${rel}`, label), label)
      const alias = `j${joined.size}`
      ctes.push(`${alias}_src AS (SELECT *, ${id(set.event_time)}::TIMESTAMP AS ${T} FROM ${rel})`)
      const limit = windowMs ?? (set.ttl === undefined ? undefined : parseDuration(set.ttl, `${set.name}.ttl`))
      const fresh = limit === undefined ? 'TRUE'
        : `${alias}.${T} ${windowMs !== undefined ? '>' : '>='} ${spineTime} - to_milliseconds(${limit})`
      return { alias, rel, fresh }
    }
    const value = (j: Joined, col: string) => `CASE WHEN ${j.fresh} THEN ${j.alias}.${id(col)} END`
    // Own sets: joined on the spine's key columns.
    for (const g of groups) {
      if (joined.has(g.set.name)) continue
      const { alias, fresh } = await sourceCte(g.set)
      const on = g.set.entity.map((k) => `sp.${id(k)} = ${alias}.${id(k)}`).join(' AND ')
      joins.push(`ASOF LEFT JOIN ${alias}_src ${alias} ON ${on} AND ${spineTime} >= ${alias}.${T}`)
      joined.set(g.set.name, { alias, set: g.set, fresh })
    }
    // Related sets read by derived features: joined on the own set's as-of key values.
    for (const [k, g] of groups.entries()) {
      for (const b of plans[k]!.base) {
        if (b.set === g.set.name || joined.has(b.set)) continue
        const rset = related(b.set)!
        const own = joined.get(g.set.name)!
        const { alias, fresh } = await sourceCte(rset)
        const on = rset.entity.map((key) => `${value(own, key)} = ${alias}.${id(key)}`).join(' AND ')
        joins.push(`ASOF LEFT JOIN ${alias}_src ${alias} ON ${on} AND ${spineTime} >= ${alias}.${T}`)
        joined.set(b.set, { alias, set: rset, fresh })
      }
    }
    const outputs: string[] = []
    const derivedGroups: FeatureGroup[] = []
    const derivedIndex: number[] = []
    for (const [k, g] of groups.entries()) {
      const own = joined.get(g.set.name)!
      const derivedHere: string[] = []
      const refsHere: string[] = []
      g.requested.forEach((f, i) => {
        const def = g.set.features.find((x) => x.name === f)
        if (def?.inference) {
          derivedHere.push(f)
          refsHere.push(g.refs[i]!)
        } else outputs.push(`${value(own, f)} AS ${id(g.refs[i]!)}`)
      })
      if (derivedHere.length === 0) continue
      const gi = derivedGroups.length
      derivedGroups.push({ set: g.set, requested: derivedHere, refs: refsHere })
      derivedIndex.push(k)
      for (const b of planDerived(g.set, derivedHere, related).base) {
        outputs.push(`${value(joined.get(b.set)!, b.feature)} AS ${id(work(gi, b.column))}`)
      }
    }
    const sql = `WITH ${ctes.join(',\n')}
      SELECT sp.* EXCLUDE (${ROW})${outputs.length ? `, ${outputs.join(', ')}` : ''}
      FROM sp ${joins.join('\n')}
      ORDER BY sp.${ROW}`

    const writer = await TableFileWriter.open(req.output)
    const versions = new Map<string, VersionRecord>()
    const models: Record<string, string> = {}
    let outSchema: arrow.Schema | undefined
    try {
      await streamQuery(c, sql, async (batch) => {
        const table = new arrow.Table(batch)
        let out = table
        if (derivedGroups.length > 0) {
          const workingOf = (gi: number) => {
            const prefix = `__quiver_w${gi}.`
            const cols: Record<string, arrow.Vector> = {}
            for (const f of table.schema.fields) if (f.name.startsWith(prefix)) cols[f.name.slice(prefix.length)] = table.getChild(f.name)!
            return new arrow.Table(cols)
          }
          const added = await addFeatures(table, derivedGroups, deps, related, versions, models, workingOf)
          const kept = table.schema.fields.filter((f) => !f.name.startsWith('__quiver_w')).map((f) => f.name)
          out = table.select(kept).assign(new arrow.Table(added))
        }
        out = out.select(orderColumns(spineCols, groups, out.schema.fields.map((f) => f.name)))
        outSchema = out.schema
        for (const b of out.batches) await writer.write(b)
      }, { what: `training set from ${req.spine}` })
    } catch (err) {
      await writer.abort()
      throw unreadable(`training set from ${req.spine}`, err)
    } finally {
      if (spineRel.startsWith('"')) await c.run(`DROP TABLE IF EXISTS ${spineRel}`).catch(() => undefined)
    }
    const rows = await writer.close(outSchema)
    const columns = groups.flatMap((g) => g.refs)
    return {
      output: req.output, rows, columns, models, seconds: (performance.now() - started) / 1000,
      lineage: columns.map((feature) => ({ feature, trainingSet: resolve(req.output) })),
    }
  })
}

/** Spine columns first, then the features in the order requested. */
function orderColumns(spine: string[], groups: FeatureGroup[], present: string[]): string[] {
  const order = new Map<string, number>()
  spine.forEach((c, i) => order.set(c, i))
  groups.flatMap((g) => g.refs).forEach((r, i) => order.set(r, spine.length + i))
  return [...present].sort((a, b) => (order.get(a) ?? 1e9) - (order.get(b) ?? 1e9))
}
