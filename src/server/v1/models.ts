/** REST `/v1/models…`: the command line's registry and inference commands over HTTP. */
import { Readable } from 'node:stream'
import { Hono, type Context } from 'hono'
import { InvalidInput } from '../../errors.js'
import { parseJson, readBody } from '../body.js'
import { requireRole, scopeOf, versionRef, type AppEnv, type ServerDeps } from '../context.js'
import { respond } from '../answer.js'
import { outputFormatOf } from './infer-format.js'
import { v1InferAnswer } from './infer-answer.js'
import { receiveUpload } from './upload-form.js'

export function modelRoutes(deps: ServerDeps): Hono<AppEnv> {
  const { api, limits } = deps
  const app = new Hono<AppEnv>()

  app.get('/models', async (c) => c.json(await api.listModels(scopeOf(c))))

  app.post('/models', async (c) => {
    requireRole(c, 'editor', 'upload models')
    const scope = scopeOf(c)
    const version = await receiveUpload(c.req.raw, { maxUploadBytes: limits.maxUploadBytes, workspace: scope.workspace }, (req) => {
      c.set('model', req.name)
      return api.uploadModel(req)
    })
    return c.json(version, 201)
  })

  app.get('/models/:name/versions', async (c) => {
    const name = named(c, c.req.param('name'))
    return c.json(await api.listVersions(name, scopeOf(c, name)))
  })

  const show = async (c: Context<AppEnv>, ref: string) => c.json(await api.getVersion(ref, scopeOf(c, ref)))
  const status = async (c: Context<AppEnv>, ref: string) => {
    const v = await api.getVersion(ref, scopeOf(c, ref))
    return c.json({ name: v.name, seq: v.seq, version: v.version, status: v.status, error_message: v.error_message })
  }
  const infer = async (c: Context<AppEnv>, ref: string) => {
    const scope = scopeOf(c, ref)
    // The format is checked before the body is read: a wrong `?format=` costs no upload.
    outputFormatOf(c.req.query('format'), c.req.header('accept'))
    const body = await readBody(c.req.raw, limits.maxBodyBytes)
    return respond(c, await v1InferAnswer(api, ref, scope, {
      contentType: c.req.header('content-type'), accept: c.req.header('accept'), format: c.req.query('format'), body,
    }))
  }

  app.get('/models/:name/versions/:version', (c) => show(c, pathRef(c)))
  app.get('/models/:name/versions/:version/status', (c) => status(c, pathRef(c)))
  app.post('/models/:name/versions/:version/infer', (c) => infer(c, pathRef(c)))
  app.get('/models/:ref', (c) => show(c, named(c, c.req.param('ref'))))
  app.get('/models/:ref/artifact', async (c) => {
    const ref = named(c, c.req.param('ref'))
    const { version, stream } = await api.downloadArtifact(ref, scopeOf(c, ref))
    return c.body(Readable.toWeb(Readable.from(stream)) as ReadableStream<Uint8Array>, 200, {
      'content-type': 'application/octet-stream',
      'content-length': String(version.size_bytes),
      'content-disposition': `attachment; filename="${version.file_name.replace(/["\\\r\n]/g, '_')}"`,
      'x-quiver-sha256': version.sha256,
    })
  })
  app.get('/models/:ref/status', (c) => status(c, named(c, c.req.param('ref'))))
  app.post('/models/:ref/infer', (c) => infer(c, named(c, c.req.param('ref'))))

  app.post('/models/:ref/tags', async (c) => {
    requireRole(c, 'editor', 'tag versions')
    const ref = named(c, c.req.param('ref'))
    const body = parseJson(await readBody(c.req.raw, limits.maxBodyBytes), 'the tag request') as { tag?: unknown } | null
    if (typeof body !== 'object' || body === null || typeof body.tag !== 'string') {
      throw new InvalidInput(`the tag request must be a JSON object {"tag": "NAME"}`, { field: 'tag' })
    }
    return c.json(await api.tag(ref, body.tag, scopeOf(c, ref)))
  })

  app.delete('/models/:name/tags/:tag', async (c) => {
    requireRole(c, 'editor', 'untag versions')
    const name = named(c, c.req.param('name'))
    const tag = c.req.param('tag')
    await api.untag(name, tag, scopeOf(c, name))
    return c.json({ name, tag, removed: true })
  })

  return app
}

/** Records the reference for metrics and logs (counted by name only if it exists); returns it. */
function named(c: Context<AppEnv>, ref: string): string {
  c.set('model', ref)
  return ref
}

function pathRef(c: Context<AppEnv>): string {
  return named(c, versionRef(c.req.param('name')!, c.req.param('version')!))
}
