import { extname } from 'node:path'
import type { ArtifactStore } from '../artifacts/artifact-store.js'
import { INPUT_FORMATS, type InputFormat, readInputBytes, readInputFile } from '../data/input-file.js'
import { InvalidInput } from '../errors.js'
import { compareEvaluations, promotionDecision, type ComparisonResult } from '../evaluation/compare.js'
import { evaluate, type EvaluationResult } from '../evaluation/evaluate.js'
import { Suites, type SuiteRecord } from '../evaluation/suites.js'
import type { InferencePath } from '../pipelines/inference-path.js'
import { DEFAULT_WORKSPACE, type Registry } from '../registry/registry.js'
import type { SuiteStore } from '../store/suite-store.js'
import type { CompareRequest, CreateSuiteRequest, EvaluateRequest, EvaluationApi } from './evaluation-api.js'
import type { ScopeOptions } from './quiver-api.js'

export interface LocalEvaluationDeps {
  store: SuiteStore
  artifacts: ArtifactStore
  registry: Registry
  inference: InferencePath
  /** Moves a tag the way the core does (deployments following it switch). */
  tag: (ref: string, tag: string, workspace: string) => Promise<unknown>
}

/** Suites, evaluations and comparisons in process. */
export class LocalEvaluationApi implements EvaluationApi {
  readonly suites: Suites
  readonly #deps: LocalEvaluationDeps

  constructor(deps: LocalEvaluationDeps) {
    this.#deps = deps
    this.suites = new Suites(deps.store, deps.artifacts)
  }

  async createSuite(req: CreateSuiteRequest, opts: ScopeOptions = {}): Promise<SuiteRecord & { created: boolean }> {
    const source = req.source
    const fileName = 'path' in source ? source.path : source.fileName
    const input = 'path' in source ? await readInputFile(source.path) : readInputBytes(Buffer.from(source.bytes), formatOf(source.fileName))
    return this.suites.create({
      name: req.name, workspace: opts.workspace ?? DEFAULT_WORKSPACE, input, fileName: fileName.split('/').pop()!,
      label: req.label, features: req.features, cases: req.cases,
    })
  }

  listSuites(opts: ScopeOptions = {}): Promise<SuiteRecord[]> {
    return this.suites.list(opts.workspace ?? DEFAULT_WORKSPACE)
  }

  showSuite(ref: string, opts: ScopeOptions = {}): Promise<SuiteRecord> {
    return this.suites.show(ref, opts.workspace ?? DEFAULT_WORKSPACE)
  }

  evaluate(ref: string, req: EvaluateRequest): Promise<EvaluationResult> {
    const { store, artifacts, inference } = this.#deps
    return evaluate({ suites: this.suites, inference, store, artifacts }, ref, {
      suite: req.suite, workspace: req.workspace ?? DEFAULT_WORKSPACE, onProgress: req.onProgress,
    })
  }

  async compare(a: string, b: string, req: CompareRequest): Promise<ComparisonResult> {
    const threshold = req.threshold ?? 0
    if (!Number.isFinite(threshold) || threshold < 0) throw new InvalidInput(`threshold must be a number >= 0, got ${threshold}`, { field: 'threshold', got: String(threshold) })
    const [ea, eb] = [await this.#evaluation(a, req), await this.#evaluation(b, req)]
    if (ea.task !== eb.task) throw new InvalidInput(`${ea.model} is evaluated as ${ea.task} but ${eb.model} as ${eb.task}; only like models compare`, { got: `${ea.task} vs ${eb.task}` })
    const cmp = compareEvaluations(ea, eb, threshold)
    if (!req.promote) return cmp
    const promotion = promotionDecision(cmp, req.promote)
    const workspace = req.workspace ?? DEFAULT_WORKSPACE
    const winner = await this.#deps.registry.resolve(promotion.version, workspace)
    if (promotion.promoted) await this.#deps.tag(`${winner.name}:${winner.version}`, req.promote, workspace)
    const other = promotion.version === cmp.a ? cmp.b : cmp.a
    const metrics = (e: EvaluationResult) => Object.fromEntries(Object.entries(e.cases).map(([k, m]) => [k, scalars(m)]))
    const record = {
      tag: req.promote, decision: promotion.promoted ? 'promoted' : 'refused', reason: promotion.reason, suite: cmp.suite,
      compared_with: other, threshold, at: new Date().toISOString(),
      metrics: { [cmp.a]: metrics(ea), [cmp.b]: metrics(eb) },
    }
    const latest = await this.#deps.registry.byId(winner.id)
    const history = Array.isArray(latest.metadata.promotions) ? latest.metadata.promotions : []
    await this.#deps.registry.setMetadata(winner.id, { ...latest.metadata, promotion: record, promotions: [...history, record] })
    return { ...cmp, promotion }
  }

  /** The newest stored evaluation of this version on this suite version, else a fresh one. */
  async #evaluation(ref: string, req: EvaluateRequest): Promise<EvaluationResult> {
    const workspace = req.workspace ?? DEFAULT_WORKSPACE
    const version = await this.#deps.inference.readyVersion(ref, workspace)
    const suite = await this.suites.load(req.suite, workspace)
    const stored = await this.#deps.store.latestEvaluation(version.id, suite.id)
    if (stored) return { ...(stored.result as EvaluationResult), evaluation_id: stored.id, inferences_sha256: stored.inferences_sha256, created_at: stored.created_at }
    return this.evaluate(`${version.name}:${version.version}`, req)
  }
}

function scalars(m: object): Record<string, number | null> {
  return Object.fromEntries(Object.entries(m).filter(([, v]) => typeof v === 'number' || v === null)) as Record<string, number | null>
}

function formatOf(fileName: string): InputFormat {
  const ext = extname(fileName).toLowerCase().slice(1)
  const format = ext === 'ndjson' ? 'jsonl' : ['ipc', 'arrows', 'feather'].includes(ext) ? 'arrow' : ext
  if (!(INPUT_FORMATS as readonly string[]).includes(format)) {
    throw new InvalidInput(`suite file ${fileName} has ${ext ? `unknown extension '.${ext}'` : 'no extension'}; known: .csv, .json, .jsonl, .parquet, .arrow`, { field: 'file', got: fileName })
  }
  return format as InputFormat
}
