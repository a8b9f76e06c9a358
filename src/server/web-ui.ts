/**
 * The web UI at `/` (SPEC §11): the static files `npm run build` writes to `dist/ui/`, served
 * before authentication (the pages hold no data; they ask `/v1` with the token the user signs in
 * with). Hashed assets are cached for good, `index.html` is revalidated on every load. Also
 * `GET /v1/whoami`, which tells the pages who the token belongs to, so that they show only the
 * actions its role may take.
 */
import { readFile, stat } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { Hono } from 'hono'
import { packagePath } from '../package-path.js'
import type { AppEnv } from './context.js'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
}

const IMMUTABLE = 'public, max-age=31536000, immutable'

/** Routes for `/` and `/assets/{file}`; mount before authentication. */
export function webUiRoutes(root = packagePath('dist/ui')): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const index = async () => {
    const html = await readFile(join(root, 'index.html')).catch(() => null)
    if (!html) {
      return new Response(`The web UI is not built here: run "npm run build" (npm ci runs it), then reload.\n`, {
        status: 503, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' },
      })
    }
    return new Response(html, { headers: { 'content-type': TYPES['.html']!, 'cache-control': 'no-cache' } })
  }
  app.get('/', index)
  app.get('/assets/:file', async (c) => {
    const file = c.req.param('file')
    // Vite writes assets flat into assets/: a name is letters, digits, '-', '_' and '.', never '..'.
    if (!/^[\w-]+(\.[\w-]+)+$/.test(file)) return c.notFound()
    const path = join(root, 'assets', file)
    const info = await stat(path).catch(() => null)
    if (!info?.isFile()) return c.notFound()
    return new Response(await readFile(path), {
      headers: { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': IMMUTABLE },
    })
  })
  return app
}

/** `GET /v1/whoami`: `{auth, workspace, role, user}`; without auth every action is allowed (role null). */
export function whoamiRoute(auth: boolean): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  app.get('/whoami', (c) => {
    const p = c.get('principal')
    return c.json({ auth, workspace: p?.workspace ?? null, role: p?.role ?? null, user: p?.user ?? null })
  })
  return app
}
