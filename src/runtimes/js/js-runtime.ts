/**
 * The `js` runtime (SPEC §10): bring-your-own-predict in JavaScript. The module runs in this
 * process, or in a worker thread when it exports `cpuHeavy = true`; nulls reach it where the
 * schema allows them; whatever it throws or answers wrongly fails with the model's reference.
 */
import { InvalidInput } from '../../errors.js'
import { sniffModelFormat } from '../model-format.js'
import type { LoadableVersion, LoadContext, Runtime, Session, Support } from '../runtime.js'
import { archiveEntry, importModule, isCpuHeavy, JsModelError, loadModule, removeEntry, singleFileEntry, type JsEntry } from './js-module.js'
import { JsSession } from './js-session.js'
import { JsThreadSession } from './js-thread.js'

export class JsRuntime implements Runtime {
  readonly name = 'js'
  readonly kind = 'containerized' as const

  supports(v: LoadableVersion): Support {
    if (v.framework !== 'js') return { ok: false, reason: `the js runtime serves framework js, not ${v.framework}` }
    if (!v.input_schema || !v.output_schema) return { ok: false, reason: 'a js model needs its input and output schemas' }
    return { ok: true }
  }

  async load(v: LoadableVersion, ctx: LoadContext): Promise<Session> {
    const label = `js model ${v.name}:${v.version}`
    try {
      return await this.#load(v, ctx, label)
    } catch (err) {
      if (err instanceof JsModelError) throw new InvalidInput(`${v.file_name}: ${err.message}`, { field: 'file', got: v.file_name })
      throw err
    }
  }

  async #load(v: LoadableVersion, ctx: LoadContext, label: string): Promise<Session> {
    const input = v.input_schema!
    const output = v.output_schema!
    const entry = await this.#entry(v, ctx)
    const cleanup = () => removeEntry(entry)
    try {
      const mod = await importModule(entry)
      if (!isCpuHeavy(mod)) return new JsSession(await loadModule(mod, entry.dir), input, output, label, cleanup)
      ctx.progress(`${v.file_name} declares itself CPU-heavy: it runs in a worker thread`)
      const session = new JsThreadSession({ entry, outputSchema: output, label }, input, output, cleanup)
      await session.start().catch(async (err) => {
        await session.close().catch(() => {})
        throw err
      })
      return session
    } catch (err) {
      await cleanup()
      throw err
    }
  }

  async #entry(v: LoadableVersion, ctx: LoadContext): Promise<JsEntry> {
    const artifact = await ctx.artifactPath()
    const format = await sniffModelFormat(artifact)
    if (format === 'zip') return archiveEntry(await ctx.extractedPath(), v.file_name)
    if (format !== 'unknown') throw new JsModelError(`is not JavaScript (it looks like ${format}); a js model is a .js/.mjs file or a zip with index.mjs`)
    if (!/\.(m?js)$/.test(v.file_name)) {
      throw new JsModelError(`a js model is a .js or .mjs file, or a zip with index.mjs at its root; got '${v.file_name}'`)
    }
    return singleFileEntry(artifact, v.file_name)
  }
}

