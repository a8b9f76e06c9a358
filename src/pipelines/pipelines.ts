/**
 * Pipelines and deployments (SPEC §8) on the one inference path: definitions checked when made,
 * deployments that load each step's sessions, batch per step, swap versions without failing a
 * request, validate and log every result.
 */
import type { Table } from 'apache-arrow'
import type { ArtifactStore } from '../artifacts/artifact-store.js'
import type { InferInput } from '../data/infer-input.js'
import type { ModelSchema } from '../data/schema.js'
import { Conflict, errorMessage, InvalidInput, NotFound } from '../errors.js'
import type { DeployConfig, PipelineDefinition, PipelineRecord, PipelineStep, PipelineValidation } from '../records/pipeline-record.js'
import type { VersionRecord } from '../records/version-record.js'
import type { PipelineRegistry } from '../registry/pipeline-registry.js'
import { parseRef } from '../registry/refs.js'
import { DEFAULT_WORKSPACE, type Registry } from '../registry/registry.js'
import { frameworkFacts, type Runtimes } from '../runtimes/runtime-table.js'
import type { ConcurrencyGuard } from './concurrency.js'
import { deployConfig, type DeployRequest } from './deploy-config.js'
import { Generation, runGeneration, type LiveStep, type StepRunner } from './generation.js'
import type { InferenceLogs } from './logs/inference-logs.js'
import type { LogQuery } from './logs/log-query.js'
import { assertFits, estimateMemory } from './memory-estimate.js'
import { assertSameSchemas, chainSchemas, normalSteps, resolveChain, resolveStep, type ChainStep } from './step-chain.js'
import { loadStepRunner } from './step-runner.js'
import { compileValidations } from './validations/validation.js'
import { applyValidationChange, type ValidationChange } from './validations/validation-change.js'
export type { ValidationChange }

export interface PipelinesDeps {
  registry: Registry
  pipelines: PipelineRegistry
  artifacts: ArtifactStore
  runtimes: Runtimes
  guard: ConcurrencyGuard
  /** Null: inferences are not logged (an installation without a home directory). */
  logs: InferenceLogs | null
  /**
   * How often deployments re-resolve their moving references (tags, latest), so a tag moved by
   * another process sharing the database is followed too; default 5 s. Moves made through this
   * process switch at once.
   */
  followMs?: number
}

export interface PipelineScope {
  workspace?: string
}

/** A deployed pipeline: the generation serving now, and the runners loaded for it. */
interface Live {
  current: Generation
  config: DeployConfig
  /** Serialises swaps of this deployment. */
  swapping: Promise<unknown>
}

export class Pipelines {
  readonly #deps: PipelinesDeps
  readonly #live = new Map<string, Promise<Live>>()
  #follow: NodeJS.Timeout | undefined

  constructor(deps: PipelinesDeps) {
    this.#deps = deps
  }

  /** Follows the stored deployments every `followMs` while there are live ones (the change feed is faster). */
  #startFollowing(): void {
    if (this.#follow) return
    this.#follow = setInterval(() => {
      if (this.#live.size === 0) { clearInterval(this.#follow); this.#follow = undefined }
      this.followStore()
    }, this.#deps.followMs ?? 5000)
    this.#follow.unref()
  }

  /**
   * Re-reads what is stored for every live deployment, so deploys, swaps, undeploys and tag moves
   * made by other processes sharing the database are followed with no failed request.
   */
  followStore(): void {
    this.#deployedKnown.clear()
    for (const [key, live] of this.#live) void this.#followOne(key, live).catch(() => {})
  }

  async #followOne(key: string, live: Promise<Live>): Promise<void> {
    const [ws, name] = splitKey(key)
    const l = await live
    const p = await this.#deps.pipelines.get(name, ws).catch((err: { code?: string }) => {
      if (err?.code === 'not_found') return null
      throw err
    })
    if (this.#live.get(key) !== live) return
    const { estimate_bytes: _e, deployed_at: _d, ...config } = p?.deployment ?? {}
    if (!p?.deployment) {
      this.#live.delete(key)
    } else if (sortedJson(config) !== sortedJson(l.config)) {
      // Redeployed elsewhere with another configuration: load it, then switch.
      const next = resolveChain(this.#deps.registry, p, ws, { ready: true }).then((c) => this.#start(p, c, config as DeployConfig))
      await next
      if (this.#live.get(key) !== live) return
      this.#live.set(key, next)
    } else {
      return this.#swapLive(ws, name, l, { followed: true })
    }
    await this.#retire(l.current, null)
  }

  async create(name: string, steps: PipelineStep[], opts: PipelineScope = {}): Promise<PipelineRecord> {
    const ws = opts.workspace ?? DEFAULT_WORKSPACE
    const definition = { steps: normalSteps(steps), validations: [] as PipelineValidation[] }
    const previous = await this.#deps.pipelines.get(name, ws).catch(() => null)
    if (previous) definition.validations = previous.validations
    const chain = await resolveChain(this.#deps.registry, definition, ws)
    // Validations carried over must still type-check against the new ends of the chain.
    if (definition.validations.length) compileValidations(definition.validations, chainSchemas(chain))
    return this.#addVersion(name, definition, ws)
  }

  list(opts: PipelineScope = {}): Promise<PipelineRecord[]> {
    return this.#deps.pipelines.list(opts.workspace)
  }

  show(name: string, opts: PipelineScope = {}): Promise<PipelineRecord> {
    return this.#deps.pipelines.get(name, opts.workspace)
  }

  async deploy(name: string, req: DeployRequest = {}, opts: PipelineScope = {}): Promise<PipelineRecord> {
    const ws = opts.workspace ?? DEFAULT_WORKSPACE
    const config = deployConfig(req)
    const p = await this.#deps.pipelines.get(name, ws)
    const chain = await resolveChain(this.#deps.registry, p, ws, { ready: true })
    const estimate = estimateMemory(chain.map((s) => s.version), config.replicas)
    assertFits(name, estimate, config.memory_bytes)
    // Loading before recording: a deployment that cannot load is never recorded.
    const key = liveKey(ws, name)
    const old = this.#live.get(key)
    const live = this.#start(p, chain, config)
    this.#live.set(key, live)
    this.#startFollowing()
    try {
      await live
    } catch (err) {
      if (old) this.#live.set(key, old)
      else this.#live.delete(key)
      throw err
    }
    if (old) void old.then(async (o) => this.#retire(o.current, (await live).current)).catch(() => {})
    this.#deployedKnown.delete(key)
    return this.#deps.pipelines.deploy(name, { ...config, estimate_bytes: estimate.bytes }, ws)
  }

  async undeploy(name: string, opts: PipelineScope = {}): Promise<PipelineRecord> {
    const ws = opts.workspace ?? DEFAULT_WORKSPACE
    const p = await this.#deps.pipelines.get(name, ws)
    await this.#deps.pipelines.undeploy(name, ws)
    this.#deployedKnown.delete(liveKey(ws, name))
    const live = this.#live.get(liveKey(ws, name))
    this.#live.delete(liveKey(ws, name))
    if (live) void live.then((l) => this.#retire(l.current, null)).catch(() => {})
    return { ...p, deployment: null }
  }

  /** Runs a deployed pipeline: SPEC §4's result table with `in.*` of the first step and `out.*` of the last. */
  async infer(name: string, input: InferInput, opts: PipelineScope = {}): Promise<Table> {
    const ws = opts.workspace ?? DEFAULT_WORKSPACE
    const live = await this.#liveOf(name, ws)
    const time = new Date()
    const start = performance.now()
    const { result, generation } = await this.#deps.guard.run(() => live.current.run(async (g) => ({ result: await runGeneration(g, input, time), generation: g })))
    if (this.#deps.logs) {
      const latencyMs = performance.now() - start
      void this.#deps.logs.get(ws, name).then((log) => log.append(result, {
        pipelineVersion: String(generation.pipeline.version), steps: generation.stepVersions, latencyMs,
      })).catch(() => {})
    }
    return result
  }

  /** The input schema of a deployed pipeline (its first step's), for doors that decode against it. */
  async inputSchema(name: string, opts: PipelineScope = {}): Promise<ModelSchema> {
    const live = await this.#liveOf(name, opts.workspace ?? DEFAULT_WORKSPACE)
    return live.current.steps[0]!.inputSchema
  }

  /** The output schema of a deployed pipeline (its last step's). */
  async outputSchema(name: string, opts: PipelineScope = {}): Promise<ModelSchema> {
    const last = (await this.#liveOf(name, opts.workspace ?? DEFAULT_WORKSPACE)).current.steps.at(-1)!
    return last.version.output_schema ?? last.runner.sessions[0]!.outputSchema
  }

  /**
   * Whether `name` is a deployed pipeline of the workspace. Doors that serve models and pipelines
   * under one name space ask per request, so the answer is kept a second (other processes may deploy).
   */
  async isDeployed(name: string, opts: PipelineScope = {}): Promise<boolean> {
    const key = liveKey(opts.workspace ?? DEFAULT_WORKSPACE, name)
    if (this.#live.has(key)) return true
    const known = this.#deployedKnown.get(key)
    if (known && known.expires > performance.now()) return known.deployed
    const deployed = await this.#deps.pipelines.isDeployed(name, opts.workspace ?? DEFAULT_WORKSPACE)
    if (this.#deployedKnown.size > 4096) this.#deployedKnown.clear()
    this.#deployedKnown.set(key, { deployed, expires: performance.now() + 1000 })
    return deployed
  }

  readonly #deployedKnown = new Map<string, { deployed: boolean; expires: number }>()

  /** Replaces one step's reference (0-based index) in a new version; a deployment switches with no failed request. */
  async swapStep(name: string, index: number, ref: string, opts: PipelineScope = {}): Promise<PipelineRecord> {
    const ws = opts.workspace ?? DEFAULT_WORKSPACE
    const p = await this.#deps.pipelines.get(name, ws)
    if (!Number.isInteger(index) || index < 0 || index >= p.steps.length) {
      throw new InvalidInput(`step index ${index} is out of range: pipeline '${name}' has steps 0 to ${p.steps.length - 1}`, {
        field: 'step_index', got: String(index), expected: `0..${p.steps.length - 1}`,
      })
    }
    const before = await resolveStep(this.#deps.registry, p.steps[index]!, ws, index)
    const after = await resolveStep(this.#deps.registry, { ...p.steps[index]!, ref }, ws, index)
    assertSameSchemas(before, after, index)
    const steps = p.steps.map((s, i) => (i === index ? { ...s, ref } : s))
    const definition = { steps, validations: p.validations }
    await resolveChain(this.#deps.registry, definition, ws)
    return this.#addVersion(name, definition, ws)
  }

  async validate(name: string, change: ValidationChange, opts: PipelineScope = {}): Promise<PipelineRecord> {
    const ws = opts.workspace ?? DEFAULT_WORKSPACE
    const p = await this.#deps.pipelines.get(name, ws)
    const validations = applyValidationChange(name, p.validations, change)
    const chain = await resolveChain(this.#deps.registry, p, ws)
    compileValidations(validations, chainSchemas(chain))
    return this.#addVersion(name, { steps: p.steps, validations }, ws)
  }

  async logs(name: string, query: LogQuery & PipelineScope = {}): Promise<Table> {
    const ws = query.workspace ?? DEFAULT_WORKSPACE
    await this.#deps.pipelines.get(name, ws)
    if (!this.#deps.logs) throw new NotFound(`this installation keeps no inference logs`)
    return (await this.#deps.logs.get(ws, name)).query({ since: query.since, until: query.until, limit: query.limit })
  }

  /**
   * A tag of `model` moved (or a version was added): deployments whose steps follow it switch to
   * what the references name now, with no failed request.
   */
  async modelMoved(workspace: string, model: string): Promise<string[]> {
    const affected: Promise<string | null>[] = []
    for (const [key, live] of this.#live) {
      const [ws, name] = splitKey(key)
      affected.push(live.then(async (l) => {
        if (!l.current.steps.some((s) => s.version.name === model && s.version.workspace === workspace)) return null
        try {
          await this.#swapLive(ws, name, l, { followed: true })
          return null
        } catch (err) {
          // The deployment keeps serving what it served; the caller hears why it did not switch.
          return `pipeline '${name}' keeps serving ${l.current.stepVersions.join(' → ')}: ${errorMessage(err)}`
        }
      }).catch(() => null))
    }
    return (await Promise.all(affected)).filter((m): m is string => m !== null)
  }

  /**
   * Before a tag moves to `target`: refuses when a deployed pipeline following the tag could not
   * take the target version (a different schema).
   */
  async checkTagMove(workspace: string, tag: string, target: VersionRecord): Promise<void> {
    for (const [key, live] of this.#live) {
      const l = await live.catch(() => null)
      if (!l || splitKey(key)[0] !== workspace) continue
      l.current.steps.forEach((s, i) => {
        const parsed = parseRef(s.ref)
        if (parsed.name !== target.name || parsed.selector.kind !== 'tag' || parsed.selector.tag !== tag) return
        assertSameSchemas({ ref: s.ref, map: s.map, version: s.version }, { ref: s.ref, map: s.map, version: target }, i, l.current.pipeline.name)
      })
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#follow)
    this.#follow = undefined
    const all = [...this.#live.values()]
    this.#live.clear()
    await Promise.allSettled(all.map(async (p) => {
      const l = await p
      await this.#retire(l.current, null)
    }))
    await this.#deps.logs?.close()
  }

  /**
   * Starts every stored deployment, of every workspace, now rather than on first use (a server with
   * strict readiness); resolves with the ones that could not start.
   */
  async startDeployments(): Promise<{ workspace: string; name: string; error: string }[]> {
    const failed: { workspace: string; name: string; error: string }[] = []
    for (const d of await this.#deps.pipelines.deployments()) {
      try {
        await this.#liveOf(d.name, d.workspace)
      } catch (err) {
        failed.push({ workspace: d.workspace, name: d.name, error: errorMessage(err) })
      }
    }
    return failed
  }

  async #addVersion(name: string, definition: PipelineDefinition, ws: string): Promise<PipelineRecord> {
    const record = await this.#deps.pipelines.addVersion(name, definition, ws)
    const live = this.#live.get(liveKey(ws, name))
    if (live) await live.then((l) => this.#swapLive(ws, name, l))
    return record
  }

  async #liveOf(name: string, ws: string): Promise<Live> {
    const key = liveKey(ws, name)
    let live = this.#live.get(key)
    if (!live) {
      // Deployments survive restarts: the record says so, and the sessions load on first use.
      const p = await this.#deps.pipelines.get(name, ws)
      if (!p.deployment) {
        throw new Conflict(`pipeline '${name}' is not deployed; deploy it first (quiver pipeline deploy ${name})`, { pipeline: name })
      }
      if (!this.#live.has(key)) {
        const { estimate_bytes: _e, deployed_at: _d, ...config } = p.deployment
        const chain = resolveChain(this.#deps.registry, p, ws, { ready: true })
        live = chain.then((c) => this.#start(p, c, config))
        this.#live.set(key, live)
        this.#startFollowing()
        live.catch(() => this.#live.delete(key))
      }
      live = this.#live.get(key)!
    }
    return live
  }

  async #start(p: PipelineRecord, chain: ChainStep[], config: DeployConfig): Promise<Live> {
    return { current: await this.#generation(p, chain, config, null), config, swapping: Promise.resolve() }
  }

  /** Builds the generation of the pipeline's newest version and switches the deployment to it. */
  #swapLive(ws: string, name: string, live: Live, opts: { followed?: boolean } = {}): Promise<void> {
    const next = live.swapping.then(async () => {
      const p = await this.#deps.pipelines.get(name, ws)
      const chain = await resolveChain(this.#deps.registry, p, ws, { ready: true })
      const old = live.current
      const same = old.pipeline.version === p.version && chain.every((s, i) => s.version.id === old.steps[i]?.version.id)
      if (same) return
      // A moved reference may not change what the deployment takes or answers; a new pipeline version may.
      if (opts.followed && old.pipeline.version === p.version) {
        chain.forEach((s, i) => assertSameSchemas(old.steps[i]!, s, i, name))
      }
      const gen = await this.#generation(p, chain, live.config, old)
      live.current = gen
      await this.#retire(old, gen)
    })
    live.swapping = next.catch(() => {})
    return next
  }

  /** Old generation: stop sending to it, wait for what runs there, close runners the next one does not share. */
  async #retire(old: Generation, next: Generation | null): Promise<void> {
    old.retire()
    await old.drained
    const kept = new Set(next?.steps.map((s) => s.runner) ?? [])
    await Promise.allSettled(old.steps.filter((s) => !kept.has(s.runner)).flatMap((s) => s.runner.sessions.map((x) => x.close())))
  }

  async #generation(p: PipelineRecord, chain: ChainStep[], config: DeployConfig, previous: Generation | null): Promise<Generation> {
    const validations = compileValidations(p.validations, chainSchemas(chain))
    const loaded: StepRunner[] = []
    try {
      const steps: LiveStep[] = []
      for (const c of chain) {
        const key = `${c.version.id}/${JSON.stringify(config)}`
        let runner = previous?.steps.find((s) => s.runner.key === key)?.runner
        if (!runner) {
          runner = await loadStepRunner(c.version, config, key, this.#deps)
          loaded.push(runner)
        }
        steps.push({
          ref: c.ref, map: c.map, version: c.version, runner,
          inputSchema: c.version.input_schema ?? runner.sessions[0]!.inputSchema,
          nullsPass: frameworkFacts(c.version.framework).nullsPass,
        })
      }
      return new Generation(p, steps, validations)
    } catch (err) {
      await Promise.allSettled(loaded.flatMap((r) => r.sessions.map((s) => s.close())))
      throw err
    }
  }

}

const liveKey = (ws: string, name: string) => `${ws}/${name}`
const splitKey = (key: string) => key.split('/') as [string, string]
const sortedJson = (o: object) => JSON.stringify(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)))
