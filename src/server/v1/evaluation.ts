/** REST for SPEC §9's evaluation: `/v1/suites…`, `/v1/models/{ref}/evaluate`, `/v1/compare`, as the `quiver suite / evaluate / compare` commands. */
import { Hono } from 'hono'
import { InvalidInput } from '../../errors.js'
import { parseJson, readBody } from '../body.js'
import { asJob, requireRole, scopeOf, type AppEnv, type ServerDeps } from '../context.js'

export function evaluationRoutes(deps: ServerDeps): Hono<AppEnv> {
  const { api, limits } = deps
  const app = new Hono<AppEnv>()

  app.get('/suites', async (c) => c.json(await api.evaluation.listSuites(scopeOf(c))))

  app.get('/suites/:ref', async (c) => c.json(await api.evaluation.showSuite(c.req.param('ref'), scopeOf(c))))

  /** The body is the samples file itself; its name (for the format), the label, features and cases come as query parameters. */
  app.post('/suites/:name', async (c) => {
    requireRole(c, 'editor', 'create test suites')
    const label = c.req.query('label')
    const fileName = c.req.query('file_name')
    if (!label) throw new InvalidInput('the label query parameter is required (the ground-truth column)', { field: 'label' })
    if (!fileName) throw new InvalidInput('the file_name query parameter is required (e.g. samples.csv, for its format)', { field: 'file_name' })
    const features = c.req.query('features')
    const cases = (c.req.queries('case') ?? []).map((arg) => {
      const eq = arg.indexOf('=')
      if (eq <= 0) throw new InvalidInput(`case expects NAME=EXPR, got ${JSON.stringify(arg)}`, { field: 'case', got: arg })
      return { name: arg.slice(0, eq), expression: arg.slice(eq + 1) }
    })
    const bytes = await readBody(c.req.raw, limits.maxBodyBytes)
    const suite = await api.evaluation.createSuite({
      name: c.req.param('name'), source: { bytes, fileName }, label, features: features ? features.split(',') : undefined, cases,
    }, scopeOf(c))
    return c.json(suite, suite.created ? 201 : 200)
  })

  app.post('/models/:ref/evaluate', async (c) => {
    requireRole(c, 'editor', 'evaluate models')
    const ref = c.req.param('ref')
    c.set('model', ref)
    const body = jsonObject(parseJson(await readBody(c.req.raw, limits.maxBodyBytes), 'the evaluate request'))
    const req = { ...scopeOf(c, ref), suite: stringField(body, 'suite') }
    if (asJob(c)) return c.json(await api.jobs.evaluate(ref, req), 202)
    return c.json(await api.evaluation.evaluate(ref, req))
  })

  app.post('/compare', async (c) => {
    requireRole(c, 'editor', 'compare models')
    const body = jsonObject(parseJson(await readBody(c.req.raw, limits.maxBodyBytes), 'the compare request'))
    const a = stringField(body, 'a')
    const b = stringField(body, 'b')
    const threshold = body.threshold
    if (threshold !== undefined && threshold !== null && typeof threshold !== 'number') {
      throw new InvalidInput(`threshold must be a number, got ${JSON.stringify(threshold)}`, { field: 'threshold' })
    }
    const promote = body.promote
    if (promote !== undefined && promote !== null && typeof promote !== 'string') throw new InvalidInput('promote must be a tag name', { field: 'promote' })
    if (promote) requireRole(c, 'editor', 'move tags')
    return c.json(await api.evaluation.compare(a, b, {
      ...scopeOf(c, a, b), suite: stringField(body, 'suite'), threshold: threshold ?? undefined, promote: promote ?? undefined,
    }))
  })

  return app
}

function jsonObject(v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidInput('the request body must be a JSON object', { expected: 'object' })
  return v as Record<string, unknown>
}

function stringField(body: Record<string, unknown>, name: string): string {
  const v = body[name]
  if (typeof v !== 'string' || v === '') throw new InvalidInput(`${name} is required (a string)`, { field: name, got: JSON.stringify(v ?? null) })
  return v
}
