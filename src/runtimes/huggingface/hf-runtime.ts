/**
 * The `hugging-face-<task>` frameworks run without Python: a zip of a model folder with ONNX
 * weights, `config.json` and `tokenizer.json` (or, for image tasks, `preprocessor_config.json`); the task's fixed schemas (SPEC §10) unless the
 * upload gave its own. Tasks not in HF_TASKS are refused with a reason naming the task, so their
 * versions register with status `error`.
 */
import * as arrow from 'apache-arrow'
import { toArrowSchema, type ModelSchema } from '../../data/schema.js'
import { makeAnyData } from '../../data/arrow-data.js'
import { RuntimeFailure } from '../../errors.js'
import type { LoadableVersion, LoadContext, Runtime, Session, Support } from '../runtime.js'
import { loadHfModel, type HfModel } from './hf-model.js'
import { HF_TASKS, type HfTask } from './hf-tasks.js'

const PREFIX = 'hugging-face-'

export class HuggingFaceRuntime implements Runtime {
  readonly name = 'huggingface'
  readonly kind = 'native' as const

  supports(v: LoadableVersion): Support {
    if (!v.framework.startsWith(PREFIX)) return { ok: false, reason: `the huggingface runtime serves hugging-face-<task> frameworks, not ${v.framework}` }
    const task = v.framework.slice(PREFIX.length)
    if (!HF_TASKS[task]) return { ok: false, reason: `Hugging Face task '${task}' does not run natively here (runs: ${Object.keys(HF_TASKS).join(', ')})` }
    return { ok: true }
  }

  async load(v: LoadableVersion, ctx: LoadContext): Promise<Session> {
    const task = HF_TASKS[v.framework.slice(PREFIX.length)]!
    const model = await loadHfModel(await ctx.extractedPath(), v.file_name, task.inputs ?? 'text')
    ctx.progress(`${v.framework}: ${task.inputs === 'image' ? 'image processor' : 'tokenizer'} and ONNX weights loaded`)
    return new HfSession(model, task, v.input_schema ?? task.inputSchema(model), v.output_schema ?? task.outputSchema(model), `${v.name}:${v.version}`)
  }
}

class HfSession implements Session {
  constructor(private readonly model: HfModel, private readonly task: HfTask, readonly inputSchema: ModelSchema, readonly outputSchema: ModelSchema, private readonly label: string) {}

  async infer(input: arrow.Table): Promise<arrow.Table> {
    const schema = toArrowSchema(this.outputSchema)
    if (input.numRows === 0) return new arrow.Table(schema)
    let children: arrow.Data[]
    try {
      children = await this.task.run(this.model, input, this.outputSchema)
    } catch (err) {
      if ((err as { code?: string }).code) throw err
      throw new RuntimeFailure(`${this.label} failed: ${(err as Error).message}`)
    }
    const data = makeAnyData({ type: new arrow.Struct(schema.fields), length: input.numRows, nullCount: 0, children })
    return new arrow.Table(schema, [new arrow.RecordBatch(schema, data as arrow.Data<arrow.Struct>)])
  }

  async close(): Promise<void> {
    await this.model.session.release()
  }
}
