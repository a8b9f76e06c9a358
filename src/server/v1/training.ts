/** REST `POST /v1/models/{name}/train`: the trainer and a training-set file come base64 in the JSON body, as `quiver train` sends them. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { Hono } from 'hono'
import { InvalidInput } from '../../errors.js'
import type { ScopeOptions } from '../../api/quiver-api.js'
import type { TrainRequest } from '../../api/training-api.js'
import { parseJson, readBody } from '../body.js'
import { asJob, requireRole, scopeOf, type AppEnv, type ServerDeps } from '../context.js'

export function trainingRoutes(deps: ServerDeps): Hono<AppEnv> {
  const { api, limits } = deps
  const app = new Hono<AppEnv>()

  app.post('/models/:name/train', async (c) => {
    requireRole(c, 'editor', 'train models')
    const name = c.req.param('name')
    c.set('model', name)
    const body = parseJson(await readBody(c.req.raw, limits.maxBodyBytes), 'the train request') as Record<string, unknown>
    if (typeof body !== 'object' || body === null) throw new InvalidInput('the train request must be a JSON object')
    const dir = await mkdtemp(join(tmpdir(), 'quiver-train-upload-'))
    try {
      const file = async (field: string): Promise<string | undefined> => {
        const f = body[field] as { file_name?: unknown; data_base64?: unknown } | undefined
        if (f === undefined || f === null) return undefined
        if (typeof f.file_name !== 'string' || typeof f.data_base64 !== 'string') {
          throw new InvalidInput(`${field} must be {"file_name": string, "data_base64": string}`, { field })
        }
        const path = join(dir, `${field}-${basename(f.file_name)}`)
        await writeFile(path, Buffer.from(f.data_base64, 'base64'))
        return path
      }
      const trainer = await file('trainer')
      if (!trainer) throw new InvalidInput('trainer is required', { field: 'trainer' })
      const strings = (v: unknown, field: string) => {
        if (v === undefined || v === null) return undefined
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new InvalidInput(`${field} must be an array of strings`, { field })
        return v as string[]
      }
      const text = (v: unknown, field: string) => {
        if (v === undefined || v === null) return undefined
        if (typeof v !== 'string') throw new InvalidInput(`${field} must be a string`, { field })
        return v
      }
      const config = body.config
      if (config !== undefined && config !== null && (typeof config !== 'object' || Array.isArray(config))) throw new InvalidInput('config must be an object of strings', { field: 'config' })
      const train = asJob(c) ? (r: TrainRequest, o: ScopeOptions) => api.jobs.train(r, o) : (r: TrainRequest, o: ScopeOptions) => api.training.train(r, o)
      const version = await train({
        name, trainer, trainingSet: await file('training_set'), spine: text(body.spine, 'spine'), features: strings(body.features, 'features'),
        label: text(body.label, 'label'), window: text(body.window, 'window'), date: text(body.date, 'date'),
        config: config ? Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)])) : undefined, tags: strings(body.tags, 'tags'),
      }, scopeOf(c))
      return c.json(version, asJob(c) ? 202 : 201)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  return app
}
