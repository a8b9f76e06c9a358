/** `/v1/jobs`: the workspace's long work (conversion, materialization, training, evaluation): list, show, cancel. */
import { Hono } from 'hono'
import { JOB_STATES, type JobState } from '../../api/jobs-api.js'
import { InvalidInput } from '../../errors.js'
import { requireRole, scopeOf, type AppEnv, type ServerDeps } from '../context.js'

/** A job id from a path: a positive whole number, else 400 naming what came. */
export function jobIdOf(raw: string): number {
  const id = /^[0-9]{1,15}$/.test(raw) ? Number(raw) : NaN
  if (!Number.isSafeInteger(id) || id < 1) throw new InvalidInput(`job id must be a positive whole number, got '${raw}'`, { field: 'id', expected: 'integer >= 1', got: raw })
  return id
}

export function jobRoutes(deps: ServerDeps): Hono<AppEnv> {
  const { api } = deps
  const app = new Hono<AppEnv>()

  app.get('/jobs', async (c) => {
    const state = c.req.query('state')
    if (state !== undefined && !(JOB_STATES as readonly string[]).includes(state)) {
      throw new InvalidInput(`state must be one of ${JOB_STATES.join(', ')}, got '${state}'`, { field: 'state', expected: JOB_STATES.join('|'), got: state })
    }
    const rawLimit = c.req.query('limit')
    const limit = rawLimit === undefined ? undefined : Number(rawLimit)
    if (rawLimit !== undefined && (!/^[0-9]+$/.test(rawLimit) || !Number.isSafeInteger(limit))) {
      throw new InvalidInput(`limit must be a whole number from 1 to 10000, got '${rawLimit}'`, { field: 'limit', expected: '1..10000', got: rawLimit })
    }
    return c.json(await api.jobs.list({ ...scopeOf(c), state: state as JobState | undefined, kind: c.req.query('kind') || undefined, limit }))
  })

  app.get('/jobs/:id', async (c) => c.json(await api.jobs.get(jobIdOf(c.req.param('id')), scopeOf(c))))

  app.post('/jobs/:id/cancel', async (c) => {
    requireRole(c, 'editor', 'cancel jobs')
    return c.json(await api.jobs.cancel(jobIdOf(c.req.param('id')), scopeOf(c)))
  })

  return app
}
