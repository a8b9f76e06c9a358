/**
 * The columnar I/O layer and offline features beside their floors, in one run:
 * Parquet 1M × 10 float64 → validated Arrow vs DuckDB reading it alone; Arrow → Parquet vs DuckDB
 * writing it alone; CSV 1M rows vs DuckDB's read_csv alone; batch enrich Parquet → Parquet vs bare
 * onnxruntime on the same model; a point-in-time training set vs DuckDB's ASOF JOIN alone. Peak RSS
 * of each side is measured in a fresh child process. `--quick` uses a tenth of the rows or less.
 */
import { execFile } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { InferenceSession, Tensor } from 'onnxruntime-node'
import type { Scenario } from '../scenario.js'
import * as tasks from '../offline/tasks.js'

const QUICK = process.argv.includes('--quick')
const ROWS = QUICK ? 100_000 : 1_000_000
const PIT = QUICK ? { entities: 20_000, perEntity: 10, spine: 100_000 } : { entities: 1_000_000, perEntity: 10, spine: 1_000_000 }
const ONCE = { full: { warmup: 1, minIterations: 3, maxIterations: 3, timeMs: 0 }, quick: { warmup: 0, minIterations: 2, maxIterations: 2, timeMs: 0 } }
const PEAK = fileURLToPath(new URL('../offline/peak-rss.ts', import.meta.url))

let dir = ''
/** One folder for all pairs, removed when the bench process exits (floors and ours share their files). */
const shared = async () => {
  if (!dir) {
    dir = await mkdtemp(join(tmpdir(), 'quiver-bench-offline-'))
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
  }
  return dir
}
const release = async () => {}

async function peakRss(args: string[]): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', PEAK, ...args], { maxBuffer: 1 << 20 })
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as { peak_rss_mib: number; rows: number }
    return `peak RSS ${r.peak_rss_mib} MiB (${args[0]}, ${r.rows} rows, fresh process)`
  } catch (err) {
    return `peak RSS not measured: ${(err as Error).message.split('\n')[0]}`
  }
}

function pair(name: string, floorName: string, make: () => { setup(d: string): Promise<void>; ours(): Promise<number>; floor(): Promise<number>; rss?(): Promise<string[]> }): Scenario[] {
  const impl = make()
  let ready: Promise<void> | undefined
  let notes: string[] = []
  const setup = async () => {
    const d = await shared()
    ready ??= impl.setup(d)
    await ready
  }
  // CPU time of the whole process (DuckDB's threads included) per run: on a shared machine it moves
  // far less than wall time, so it is reported beside the wall-time ratio.
  const cpu = { ours: [] as number[], floor: [] as number[] }
  const timed = async (into: number[], run: () => Promise<number>) => {
    const start = process.cpuUsage()
    const rows = await run()
    const used = process.cpuUsage(start)
    into.push((used.user + used.system) / 1000)
    return rows
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
  const floor: Scenario = { name: floorName, budget: ONCE, setup, run: () => timed(cpu.floor, impl.floor), teardown: release }
  const ours: Scenario = {
    name, competitor: floorName, budget: ONCE, setup, run: () => timed(cpu.ours, impl.ours),
    async teardown() {
      const o = median(cpu.ours)
      const f = median(cpu.floor)
      notes = [`CPU ms per run (median, all threads): ours ${o.toFixed(0)}, ${floorName} ${f.toFixed(0)}, ratio ${(f / o).toFixed(2)}×`, ...((await impl.rss?.()) ?? [])]
      await release()
    },
    notes: () => notes,
  }
  return [floor, ours]
}

export const parquetRead = pair(`parquet-read-${ROWS}x10`, `duckdb-parquet-read-${ROWS}x10`, () => {
  let file = ''
  let body = new Uint8Array(0)
  return {
    async setup(d) {
      file = (await tasks.makeWide(d, ROWS)).parquet
      body = new Uint8Array(await readFile(file))
    },
    ours: async () => (await tasks.parquetBodyToArrow(body)).numRows,
    floor: () => tasks.duckdbReadAlone(`SELECT * FROM read_parquet('${file}')`),
    rss: async () => [await peakRss(['parquet-read', file]), await peakRss(['duckdb-read', file]), await peakRss(['node-baseline']), `Arrow table size ${(ROWS * 80 / 2 ** 20).toFixed(0)} MiB`],
  }
})

export const parquetWrite = pair(`parquet-write-${ROWS}x10`, `duckdb-parquet-write-${ROWS}x10`, () => {
  let d = ''
  let table: Awaited<ReturnType<typeof tasks.queryTable>> | undefined
  return {
    async setup(dd) {
      d = dd
      const { parquet } = await tasks.makeWide(d, ROWS)
      table = await tasks.parquetToArrow(parquet)
      await tasks.duck(`CREATE OR REPLACE TABLE bench_wide AS SELECT * FROM read_parquet('${parquet}')`)
    },
    ours: async () => { await tasks.writeParquetFile(table!, join(d, 'ours.parquet')); return ROWS },
    floor: async () => { await tasks.duckdbWriteAlone('bench_wide', join(d, 'floor.parquet')); return ROWS },
  }
})

export const csvRead = pair(`csv-read-${ROWS}x10`, `duckdb-read-csv-${ROWS}x10`, () => {
  let file = ''
  let text = ''
  return {
    async setup(d) { file = (await tasks.makeWide(d, ROWS)).csv; text = await readFile(file, 'utf8') },
    ours: async () => (await tasks.csvToArrow(text)).numRows,
    floor: () => tasks.duckdbReadAlone(`SELECT * FROM read_csv('${file}', header = true)`),
  }
})

export const csvWrite = pair(`csv-write-${ROWS}x10`, `duckdb-csv-write-${ROWS}x10`, () => {
  let d = ''
  let table: Awaited<ReturnType<typeof tasks.queryTable>> | undefined
  return {
    async setup(dd) {
      d = dd
      const { parquet } = await tasks.makeWide(d, ROWS)
      table = await tasks.parquetToArrow(parquet)
      await tasks.duck(`CREATE OR REPLACE TABLE bench_wide AS SELECT * FROM read_parquet('${parquet}')`)
    },
    ours: async () => (await tasks.tableToCsvBytes(table!)).byteLength > 0 ? ROWS : 0,
    floor: async () => { await tasks.duck(`COPY bench_wide TO '${join(d, 'floor.csv')}' (FORMAT csv, HEADER true)`); return ROWS },
  }
})

export const enrich = pair(`enrich-parquet-${ROWS}`, `onnx-raw-score-${ROWS}`, () => {
  let d = ''
  let home = ''
  let api: Awaited<ReturnType<typeof import('../../src/api/create-local.js').createLocalQuiver>> | undefined
  let session: InferenceSession | undefined
  let feeds: Record<string, Tensor>[] = []
  return {
    async setup(dd) {
      d = dd
      home = join(d, 'home')
      const model = join(d, 'score.onnx')
      await tasks.writeScoreModel(model)
      await tasks.duck(`COPY (SELECT (i % 90)::DOUBLE AS a, (i % 7)::DOUBLE AS b, (i * 1.5)::DOUBLE AS c FROM range(${ROWS}) t(i)) TO '${join(d, 'abc.parquet')}' (FORMAT parquet)`)
      const { createLocalQuiver } = await import('../../src/api/create-local.js')
      api = await createLocalQuiver({ home, databaseUrl: '' })
      await api.uploadModel({ name: 'score', source: { path: model }, framework: 'onnx' })
      const ort = await import('onnxruntime-node')
      session = await ort.InferenceSession.create(model)
      const batch = 65_536
      for (let s = 0; s < ROWS; s += batch) {
        const n = Math.min(batch, ROWS - s)
        const x = new Float32Array(n * 3)
        for (let i = 0; i < n; i++) { x[3 * i] = (s + i) % 90; x[3 * i + 1] = (s + i) % 7; x[3 * i + 2] = (s + i) * 1.5 }
        feeds.push({ inputs: new ort.Tensor('float32', x, [n, 3]) })
      }
    },
    ours: async () => (await api!.features.enrich({ input: join(d, 'abc.parquet'), output: join(d, 'scored.parquet'), model: 'score', inputs: ['a', 'b', 'c'], as: 's' })).rows,
    floor: async () => {
      for (const f of feeds) await session!.run(f)
      return ROWS
    },
    async rss() {
      await api?.close()
      await session?.release()
      feeds = []
      return [await peakRss(['enrich', home, join(d, 'abc.parquet'), join(d, 'scored-rss.parquet')])]
    },
  }
})

export const pointInTime = pair(`training-set-${PIT.spine}x${PIT.entities * PIT.perEntity}`, `duckdb-asof-${PIT.spine}x${PIT.entities * PIT.perEntity}`, () => {
  let d = ''
  let home = ''
  let files = { source: '', spine: '' }
  let api: Awaited<ReturnType<typeof import('../../src/api/create-local.js').createLocalQuiver>> | undefined
  return {
    async setup(dd) {
      d = dd
      home = join(d, 'pit-home')
      files = await tasks.makePointInTime(d, PIT.entities, PIT.perEntity, PIT.spine)
      const { createLocalQuiver } = await import('../../src/api/create-local.js')
      api = await createLocalQuiver({ home, databaseUrl: '' })
      await api.features.apply([{ name: 'users', entity: ['user_id'], event_time: 'ts', source: { path: files.source },
        features: [{ name: 'f1', type: 'float64' }, { name: 'f2', type: 'float64' }] }])
    },
    ours: async () => (await api!.features.trainingSet({ spine: files.spine, features: ['users.f1', 'users.f2'], output: join(d, 'train.parquet') })).rows,
    floor: async () => { await tasks.asofAlone(files.source, files.spine, join(d, 'asof.parquet')); return PIT.spine },
    async rss() {
      await api?.close()
      return [await peakRss(['training-set', home, files.spine, join(d, 'train-rss.parquet')]), await peakRss(['asof', files.source, files.spine, join(d, 'asof-rss.parquet')])]
    },
  }
})

/** A 1-row CSV request: the RFC 4180 parser it keeps below 256 KiB, beside the DuckDB path it would otherwise take. */
function csvOneRow(viaDuckDb: boolean): Scenario {
  const text = `${tasks.WIDE.map((f) => f.name).join(',')}\n${tasks.WIDE.map((_, k) => k + 0.5).join(',')}\n`
  return {
    name: viaDuckDb ? 'csv-1row-via-duckdb' : 'csv-1row',
    competitor: viaDuckDb ? undefined : 'csv-1row-via-duckdb',
    budget: { quick: { warmup: 5, minIterations: 20, maxIterations: 200, timeMs: 300 } },
    async setup() {},
    async run() {
      if (viaDuckDb) {
        const { readCsvWithDuckDb } = await import('../../src/data/duckdb/csv-read.js')
        const { inputLimits } = await import('../../src/data/input-limits.js')
        await readCsvWithDuckDb(text, tasks.WIDE, false, inputLimits())
      } else {
        await tasks.csvToArrow(text)
      }
      return 1
    },
    async teardown() {},
  }
}

export const csvOneRowScenarios = [csvOneRow(true), csvOneRow(false)]
