/** REST `/v1/pipelines…`: the `quiver pipeline` commands over HTTP, and MLflow's `/invocations`. */
import { Hono, type Context } from 'hono'
import type { DeployRequest, PipelineStep, PipelineValidation } from '../../api/pipeline-api.js'
import { tableToRecordsJson, writeTable } from '../../data/table-output.js'
import { InvalidInput } from '../../errors.js'
import { parseJson, readBody } from '../body.js'
import { requireRole, scopeOf, type AppEnv, type ServerDeps } from '../context.js'
import { inferInputOf, OUTPUT_MEDIA, outputFormatOf } from './infer-format.js'
import { mlflowInput, predictionsOf } from './mlflow.js'

export function pipelineRoutes(deps: ServerDeps): Hono<AppEnv> {
  const { api, limits } = deps
  const app = new Hono<AppEnv>()
  const jsonBody = async (c: Context<AppEnv>, what: string): Promise<Record<string, unknown>> => {
    const body = parseJson(await readBody(c.req.raw, limits.maxBodyBytes), what)
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidInput(`${what} must be a JSON object`, { field: 'body' })
    return body as Record<string, unknown>
  }
  const named = (c: Context<AppEnv>) => {
    const name = c.req.param('name')!
    c.set('model', name)
    return name
  }

  app.get('/pipelines', async (c) => c.json(await api.pipelines.list(scopeOf(c))))

  app.post('/pipelines', async (c) => {
    requireRole(c, 'editor', 'create pipelines')
    const body = await jsonBody(c, 'the pipeline')
    if (typeof body.name !== 'string') throw new InvalidInput('the pipeline needs a "name"', { field: 'name' })
    return c.json(await api.pipelines.create(body.name, body.steps as PipelineStep[], scopeOf(c)), 201)
  })

  app.get('/pipelines/:name', async (c) => c.json(await api.pipelines.show(named(c), scopeOf(c))))

  app.post('/pipelines/:name/deploy', async (c) => {
    requireRole(c, 'editor', 'deploy pipelines')
    const name = named(c)
    const raw = c.req.header('content-length') === '0' ? {} : await jsonBody(c, 'the deployment')
    const req: DeployRequest = {
      replicas: raw.replicas as number | undefined, cpus: raw.cpus as number | undefined, memory: raw.memory as string | number | undefined,
      batchMaxRows: (raw.batch_max_rows ?? raw.batchMaxRows) as number | undefined,
      batchDelayMs: (raw.batch_delay_ms ?? raw.batchDelayMs) as number | undefined,
    }
    return c.json(await api.pipelines.deploy(name, req, scopeOf(c)))
  })

  app.post('/pipelines/:name/undeploy', async (c) => {
    requireRole(c, 'editor', 'undeploy pipelines')
    return c.json(await api.pipelines.undeploy(named(c), scopeOf(c)))
  })

  app.post('/pipelines/:name/swap-step', async (c) => {
    requireRole(c, 'editor', 'swap pipeline steps')
    const name = named(c)
    const body = await jsonBody(c, 'the swap')
    if (typeof body.index !== 'number' || typeof body.ref !== 'string') {
      throw new InvalidInput('the swap must be {"index": STEP_INDEX, "ref": "MODEL_REF"}', { field: 'body' })
    }
    return c.json(await api.pipelines.swapStep(name, body.index, body.ref, scopeOf(c)))
  })

  app.post('/pipelines/:name/validations', async (c) => {
    requireRole(c, 'editor', 'change validations')
    const name = named(c)
    const body = await jsonBody(c, 'the validation change')
    const add = body.add === undefined ? undefined
      : Array.isArray(body.add) ? (body.add as PipelineValidation[])
      : Object.entries(body.add as Record<string, string>).map(([n, expression]) => ({ name: n, expression }))
    return c.json(await api.pipelines.validate(name, { add, remove: body.remove as string[] | undefined }, scopeOf(c)))
  })

  app.post('/pipelines/:name/infer', async (c) => {
    const name = named(c)
    const format = outputFormatOf(c.req.query('format'), c.req.header('accept'))
    const input = inferInputOf(c.req.header('content-type'), await readBody(c.req.raw, limits.maxBodyBytes))
    const result = await api.pipelines.infer(name, input, scopeOf(c))
    return c.body((await writeTable(result, format)) as Uint8Array<ArrayBuffer>, 200, { 'content-type': OUTPUT_MEDIA[format] })
  })

  app.post('/pipelines/:name/invocations', async (c) => {
    const name = named(c)
    const scope = scopeOf(c)
    const schema = await api.pipelines.inputSchema(name, scope)
    const input = mlflowInput(c.req.header('content-type'), await readBody(c.req.raw, limits.maxBodyBytes), schema)
    const result = await api.pipelines.infer(name, input, scope)
    return c.json(predictionsOf(tableToRecordsJson(result)))
  })

  app.get('/pipelines/:name/logs', async (c) => {
    const name = named(c)
    const format = outputFormatOf(c.req.query('format'), c.req.header('accept'))
    const limit = c.req.query('limit')
    if (limit !== undefined && !/^[1-9][0-9]{0,8}$/.test(limit)) throw new InvalidInput(`limit must be a positive integer, got ${JSON.stringify(limit)}`, { field: 'limit', got: limit })
    const logs = await api.pipelines.logs(name, {
      ...scopeOf(c), since: timeOf(c.req.query('since'), 'since'), until: timeOf(c.req.query('until'), 'until'),
      limit: limit === undefined ? undefined : Number(limit),
    })
    return c.body((await writeTable(logs, format)) as Uint8Array<ArrayBuffer>, 200, { 'content-type': OUTPUT_MEDIA[format] })
  })

  return app
}

function timeOf(raw: string | undefined, field: string): Date | undefined {
  if (raw === undefined) return undefined
  const t = new Date(raw)
  if (Number.isNaN(t.getTime())) throw new InvalidInput(`${field} must be an ISO-8601 time such as 2026-07-29T10:00:00Z, got ${JSON.stringify(raw)}`, { field, got: raw })
  return t
}
