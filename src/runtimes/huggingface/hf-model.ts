/**
 * A Hugging Face model folder (an uploaded zip, extracted): ONNX weights (`onnx/model.onnx` or
 * `model.onnx`), `config.json`, and for text tasks `tokenizer.json` (+ `tokenizer_config.json`),
 * for image tasks `preprocessor_config.json`; loaded into a tokenizer from
 * `@huggingface/tokenizers` or an image processor of our own, and an onnxruntime session.
 */
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Tokenizer } from '@huggingface/tokenizers'
import ort from 'onnxruntime-node'
import { InvalidInput, RuntimeFailure, errorMessage } from '../../errors.js'
import { parseImageProcessor, type ImageProcessor } from './image-processor.js'

export interface HfConfig {
  hidden_size?: number
  id2label?: Record<string, string>
  problem_type?: string
  [key: string]: unknown
}

/** What a task reads: text through a tokenizer, or images through an image processor. */
export type HfInputKind = 'text' | 'image'

export interface HfModel {
  /** Null for image tasks. */
  tokenizer: Tokenizer | null
  /** Null for text tasks. */
  imageProcessor: ImageProcessor | null
  session: ort.InferenceSession
  config: HfConfig
  /** The model's longest sequence (tokenizer_config `model_max_length`, else 512). */
  maxLength: number
}

/** Tokenizes rows and runs the encoder: `[rows, sequence]` int64 inputs, padded to the longest row. */
export interface Encoded {
  feeds: Record<string, ort.Tensor>
  /** Tokens of each row (its length before padding). */
  lengths: Int32Array
  width: number
  /** Each row's encoding: ids, tokens, token type ids. */
  rows: { ids: number[]; tokens: string[]; token_type_ids?: number[] }[]
}

const WEIGHTS = ['onnx/model.onnx', 'model.onnx']

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null))?.isFile() ?? false
}

async function readJson(dir: string, name: string, fileName: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(join(dir, name), 'utf8')) as Record<string, unknown>
  } catch (err) {
    throw new InvalidInput(`${fileName}: ${name} is not valid JSON: ${errorMessage(err)}`, { field: 'file', got: name })
  }
}

export async function loadHfModel(dir: string, fileName: string, kind: HfInputKind = 'text'): Promise<HfModel> {
  let weights: string | undefined
  for (const w of WEIGHTS) if (await isFile(join(dir, w))) weights = join(dir, w)
  const reader = kind === 'text' ? 'tokenizer.json' : 'preprocessor_config.json'
  const missing = [
    ...(weights ? [] : ['ONNX weights (onnx/model.onnx or model.onnx)']),
    ...((await isFile(join(dir, reader))) ? [] : [reader]),
    ...((await isFile(join(dir, 'config.json'))) ? [] : ['config.json']),
  ]
  if (missing.length) throw new InvalidInput(`${fileName} is not a Hugging Face model folder Quiver can run: it has no ${missing.join(', no ')}`, { field: 'file', expected: `onnx/model.onnx, ${reader}, config.json`, got: fileName })
  const config = await readJson(dir, 'config.json', fileName) as HfConfig
  const tokenizerConfig = kind === 'text' && (await isFile(join(dir, 'tokenizer_config.json'))) ? await readJson(dir, 'tokenizer_config.json', fileName) : {}
  let tokenizer: Tokenizer | null = null
  if (kind === 'text') {
    try {
      tokenizer = new Tokenizer(await readJson(dir, 'tokenizer.json', fileName), tokenizerConfig)
    } catch (err) {
      throw new InvalidInput(`${fileName}: tokenizer.json cannot be loaded: ${errorMessage(err)}`, { field: 'file', got: 'tokenizer.json' })
    }
  }
  const imageProcessor = kind === 'image' ? parseImageProcessor(await readJson(dir, 'preprocessor_config.json', fileName), fileName) : null
  let session: ort.InferenceSession
  try {
    session = await ort.InferenceSession.create(weights!)
  } catch (err) {
    throw new InvalidInput(`${fileName}: its ONNX weights cannot be loaded: ${errorMessage(err)}`, { field: 'file' })
  }
  const max = Number(tokenizerConfig.model_max_length)
  return { tokenizer, imageProcessor, session, config, maxLength: Number.isInteger(max) && max > 0 && max < 1e6 ? max : 512 }
}

/** The model's tokenizer; a text task on a model loaded without one is a bug, not bad input. */
export function textTokenizer(model: HfModel): Tokenizer {
  if (!model.tokenizer) throw new RuntimeFailure('this Hugging Face task reads text but the model was loaded without a tokenizer')
  return model.tokenizer
}

/** Tokenizes `texts` (pairs when `pairs` is given), truncated to the model's length, padded with 0. */
export function encode(model: HfModel, texts: readonly string[], pairs?: readonly string[], maxLength = model.maxLength): Encoded {
  const tokenizer = textTokenizer(model)
  const rows = texts.map((t, i) => tokenizer.encode(t, { text_pair: pairs?.[i] ?? null, return_token_type_ids: true }))
  const width = Math.min(maxLength, Math.max(1, ...rows.map((r) => r.ids.length)))
  const n = rows.length
  const ids = new BigInt64Array(n * width)
  const mask = new BigInt64Array(n * width)
  const types = new BigInt64Array(n * width)
  const lengths = new Int32Array(n)
  rows.forEach((r, i) => {
    const len = Math.min(width, r.ids.length)
    lengths[i] = len
    for (let j = 0; j < len; j++) {
      ids[i * width + j] = BigInt(r.ids[j]!)
      mask[i * width + j] = 1n
      types[i * width + j] = BigInt(r.token_type_ids?.[j] ?? 0)
    }
  })
  const all: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', ids, [n, width]),
    attention_mask: new ort.Tensor('int64', mask, [n, width]),
    token_type_ids: new ort.Tensor('int64', types, [n, width]),
  }
  const feeds: Record<string, ort.Tensor> = {}
  for (const name of model.session.inputNames) {
    const t = all[name]
    if (!t) throw new RuntimeFailure(`the model takes an input '${name}' that a tokenizer does not give (input_ids, attention_mask, token_type_ids)`)
    feeds[name] = t
  }
  return { feeds, lengths, width, rows }
}

/** The first output of the run as a Float32Array with its dims. */
export async function runFirstOutput(model: HfModel, feeds: Record<string, ort.Tensor>): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const out = await model.session.run(feeds)
  const t = out[model.session.outputNames[0]!]!
  if (t.type !== 'float32') throw new RuntimeFailure(`the model's output '${model.session.outputNames[0]}' is ${t.type}, expected float32`)
  return { data: t.data as Float32Array, dims: t.dims }
}
