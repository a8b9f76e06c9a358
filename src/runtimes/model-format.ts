/**
 * What a model file is, told from its first bytes (and a zip's entry names), so that a file
 * uploaded under the wrong framework is refused with what it is and which framework fits, rather
 * than with whatever the wrong loader trips over ("unknown opcode 0x08").
 */
import yauzl from 'yauzl'
import { InvalidInput } from '../errors.js'
import { readHead } from './file-head.js'
import type { Framework } from '../records/frameworks.js'

export type ModelFormat =
  | 'onnx' | 'pickle' | 'zlib' | 'gzip' | 'bzip2' | 'xz' | 'xgboost-json' | 'xgboost-ubj' | 'torchscript-zip' | 'zip' | 'unknown'

const DESCRIPTION: Record<ModelFormat, string> = {
  onnx: 'an ONNX model (a protobuf ModelProto)',
  pickle: 'a Python pickle',
  zlib: 'a zlib-compressed file (a joblib dump)',
  gzip: 'a gzip-compressed file',
  bzip2: 'a bzip2-compressed file',
  xz: 'an xz-compressed file',
  'xgboost-json': 'an XGBoost JSON model',
  'xgboost-ubj': 'an XGBoost UBJSON model',
  'torchscript-zip': 'a TorchScript archive (torch.jit.save)',
  zip: 'a zip archive',
  unknown: 'a file of no known model format',
}

/** The frameworks each format can be uploaded as; a format not listed here is never refused. */
const FITS: Partial<Record<ModelFormat, readonly Framework[]>> = {
  onnx: ['onnx'],
  pickle: ['sklearn', 'xgboost', 'pytorch', 'custom', 'python'],
  zlib: ['sklearn', 'xgboost'],
  gzip: ['sklearn', 'xgboost'],
  bzip2: ['sklearn', 'xgboost'],
  xz: ['sklearn', 'xgboost'],
  'xgboost-json': ['xgboost'],
  'xgboost-ubj': ['xgboost'],
  'torchscript-zip': ['pytorch'],
  zip: ['pytorch', 'python', 'custom', 'tensorflow', 'keras', 'mlflow', 'js'],
}

/** The frameworks whose files this check knows; any other framework's upload is not sniffed. */
const CHECKED: ReadonlySet<Framework> = new Set(['onnx', 'sklearn', 'xgboost', 'pytorch', 'js'])

/** Refuses a file whose format cannot be the framework it was uploaded as, naming the one it fits. */
export async function checkModelFormat(path: string, fileName: string, framework: Framework): Promise<void> {
  if (!CHECKED.has(framework)) return
  const format = await sniffModelFormat(path)
  const fits = FITS[format]
  if (!fits || fits.includes(framework)) return
  throw new InvalidInput(
    `${fileName} is ${DESCRIPTION[format]}, not a ${framework} model; upload it with --framework ${fits.join(' or --framework ')}`,
    { field: 'framework', expected: fits.join(' or '), got: framework },
  )
}

export async function sniffModelFormat(path: string): Promise<ModelFormat> {
  const head = await readHead(path, 512)
  if (head.byteLength >= 2 && head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5) return 'pickle'
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return (await isTorchScript(path)) ? 'torchscript-zip' : 'zip'
  if (startsWith(head, [0x1f, 0x8b])) return 'gzip'
  if (startsWith(head, [0x42, 0x5a, 0x68])) return 'bzip2'
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz'
  if (head.byteLength >= 2 && head[0] === 0x78 && [0x01, 0x5e, 0x9c, 0xda].includes(head[1]!)) return 'zlib'
  const text = head.toString('latin1')
  if (/^\s*\{\s*"/.test(text) && text.includes('"learner"')) return 'xgboost-json'
  if (text.startsWith('{') && /^\{[LlUiI#$]/.test(text) && text.includes('learner')) return 'xgboost-ubj'
  if (looksLikeOnnx(head)) return 'onnx'
  return 'unknown'
}

/**
 * ModelProto starts with field 1 (ir_version, varint: tag 0x08) and soon has field 2, 3 or 7
 * (producer_name, producer_version, graph: length-delimited tags 0x12, 0x1a, 0x3a).
 */
function looksLikeOnnx(head: Buffer): boolean {
  if (head.byteLength < 4 || head[0] !== 0x08) return false
  let i = 1
  while (i < head.byteLength && head[i]! & 0x80) i++
  const next = head[i + 1]
  return next === 0x12 || next === 0x1a || next === 0x3a || next === 0x22 || next === 0x2a || next === 0x42
}

function startsWith(head: Buffer, bytes: number[]): boolean {
  return head.byteLength >= bytes.length && bytes.every((b, i) => head[i] === b)
}

/** torch.jit.save writes `<name>/code/…` and `<name>/constants.pkl`; a torch.save state_dict has neither. */
function isTorchScript(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    yauzl.open(path, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) return resolve(false)
      let seen = 0
      zip.on('entry', (entry: yauzl.Entry) => {
        if (/(^|\/)code\//.test(entry.fileName) || entry.fileName.endsWith('/constants.pkl')) {
          zip.close()
          return resolve(true)
        }
        if (++seen > 10_000) {
          zip.close()
          return resolve(false)
        }
        zip.readEntry()
      })
      zip.on('end', () => resolve(false))
      zip.on('error', () => resolve(false))
      zip.readEntry()
    })
  })
}
