/**
 * Reads a pickle's opcodes without running it and lists every global it would import.
 * A symbolic stack follows STACK_GLOBAL operands, the memo, and joblib's NumpyArrayWrapper
 * (whose raw array bytes sit inside the stream and must be stepped over).
 */
import { readFile } from 'node:fs/promises'
import { gunzipSync, inflateSync } from 'node:zlib'
import { InvalidInput } from '../../errors.js'

type Value =
  | { k: 'str'; v: string }
  | { k: 'int'; v: number }
  | { k: 'tuple' | 'list'; items: Value[] }
  | { k: 'dict'; entries: [Value, Value][] }
  | { k: 'global'; name: string }
  | { k: 'obj'; cls: string | null; args: Value | null; state: Value | null }
  | { k: 'mark' }
  | { k: 'other' }

const OTHER: Value = { k: 'other' }
const MARK: Value = { k: 'mark' }
const JOBLIB_WRAPPERS = new Set(['joblib.numpy_pickle.NumpyArrayWrapper'])

/** Thrown for bytes the scanner cannot follow; the caller turns it into a refusal. */
export class PickleFormatError extends Error {}

/** Every global a pickle (or joblib file) imports, in order of appearance, duplicates removed. */
export function pickleGlobals(bytes: Uint8Array): string[] {
  const data = decompressJoblib(bytes)
  const found = new Set<string>()
  let at = 0
  // A joblib object array is a nested pickle; a file may hold several pickles back to back.
  do at = new Machine(data, at, found).run()
  while (at < data.length && data[at] === 0x80)
  return [...found]
}

function decompressJoblib(b: Uint8Array): Uint8Array {
  if (b[0] === 0x78) return inflateSync(b)
  if (b[0] === 0x1f && b[1] === 0x8b) return gunzipSync(b)
  const kinds: [number[], string][] = [
    [[0x42, 0x5a], 'bz2'], [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz'], [[0x5d, 0x00], 'lzma'], [[0x04, 0x22, 0x4d, 0x18], 'lz4'],
  ]
  for (const [magic, name] of kinds) {
    if (magic.every((m, i) => b[i] === m)) {
      throw new PickleFormatError(`is a joblib file compressed with ${name}, which Quiver cannot inspect; save it uncompressed or with compress=('zlib', 3)`)
    }
  }
  return b
}

class Machine {
  #stack: Value[] = []
  #memo = new Map<number, Value>()
  #pos: number
  readonly #b: Uint8Array
  readonly #dv: DataView
  readonly #found: Set<string>

  constructor(bytes: Uint8Array, start: number, found: Set<string>) {
    this.#b = bytes
    this.#dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.#pos = start
    this.#found = found
  }

  /** Runs to STOP; returns the position after it. */
  run(): number {
    for (;;) {
      if (this.#pos >= this.#b.length) throw new PickleFormatError('ends before its STOP opcode (truncated?)')
      const op = this.#b[this.#pos++]!
      if (op === 0x2e) return this.#pos // STOP
      this.#step(op)
    }
  }

  #step(op: number): void {
    const s = this.#stack
    switch (op) {
      case 0x28: s.push(MARK); return // MARK
      case 0x30: s.pop(); return // POP
      case 0x31: this.#popMark(); return // POP_MARK
      case 0x32: s.push(this.#top()); return // DUP
      case 0x46: this.#line(); s.push(OTHER); return // FLOAT
      case 0x49: { const l = this.#line(); s.push(/^-?\d+$/.test(l) ? { k: 'int', v: Number(l) } : OTHER); return } // INT
      case 0x4a: s.push({ k: 'int', v: this.#dv.getInt32(this.#take(4), true) }); return // BININT
      case 0x4b: s.push({ k: 'int', v: this.#b[this.#take(1)]! }); return // BININT1
      case 0x4d: s.push({ k: 'int', v: this.#dv.getUint16(this.#take(2), true) }); return // BININT2
      case 0x4c: this.#line(); s.push(OTHER); return // LONG
      case 0x8a: this.#skip(this.#b[this.#take(1)]!); s.push(OTHER); return // LONG1
      case 0x8b: this.#skip(this.#u32()); s.push(OTHER); return // LONG4
      case 0x4e: case 0x88: case 0x89: s.push(OTHER); return // NONE NEWTRUE NEWFALSE
      case 0x47: this.#skip(8); s.push(OTHER); return // BINFLOAT
      case 0x53: s.push({ k: 'str', v: unquote(this.#line()) }); return // STRING
      case 0x54: s.push(this.#str(this.#u32())); return // BINSTRING
      case 0x55: s.push(this.#str(this.#b[this.#take(1)]!)); return // SHORT_BINSTRING
      case 0x56: s.push({ k: 'str', v: this.#line() }); return // UNICODE
      case 0x58: s.push(this.#str(this.#u32())); return // BINUNICODE
      case 0x8c: s.push(this.#str(this.#b[this.#take(1)]!)); return // SHORT_BINUNICODE
      case 0x8d: s.push(this.#str(this.#u64())); return // BINUNICODE8
      case 0x42: this.#skip(this.#u32()); s.push(OTHER); return // BINBYTES
      case 0x43: this.#skip(this.#b[this.#take(1)]!); s.push(OTHER); return // SHORT_BINBYTES
      case 0x8e: case 0x96: this.#skip(this.#u64()); s.push(OTHER); return // BINBYTES8 BYTEARRAY8
      case 0x97: s.push(OTHER); return // NEXT_BUFFER
      case 0x98: return // READONLY_BUFFER
      case 0x29: case 0x8f: s.push({ k: 'tuple', items: [] }); return // EMPTY_TUPLE EMPTY_SET
      case 0x5d: s.push({ k: 'list', items: [] }); return // EMPTY_LIST
      case 0x7d: s.push({ k: 'dict', entries: [] }); return // EMPTY_DICT
      case 0x74: case 0x91: s.push({ k: 'tuple', items: this.#popMark() }); return // TUPLE FROZENSET
      case 0x85: s.push({ k: 'tuple', items: [this.#pop()] }); return // TUPLE1
      case 0x86: { const b = this.#pop(); s.push({ k: 'tuple', items: [this.#pop(), b] }); return } // TUPLE2
      case 0x87: { const c = this.#pop(); const b = this.#pop(); s.push({ k: 'tuple', items: [this.#pop(), b, c] }); return } // TUPLE3
      case 0x6c: s.push({ k: 'list', items: this.#popMark() }); return // LIST
      case 0x64: s.push({ k: 'dict', entries: pairs(this.#popMark()) }); return // DICT
      case 0x61: { const v = this.#pop(); addItems(this.#top(), [v]); return } // APPEND
      case 0x65: case 0x90: { const items = this.#popMark(); addItems(this.#top(), items); return } // APPENDS ADDITEMS
      case 0x73: { const v = this.#pop(); const k = this.#pop(); addEntries(this.#top(), [[k, v]]); return } // SETITEM
      case 0x75: { const items = this.#popMark(); addEntries(this.#top(), pairs(items)); return } // SETITEMS
      case 0x67: s.push(this.#get(Number(this.#line()))); return // GET
      case 0x68: s.push(this.#get(this.#b[this.#take(1)]!)); return // BINGET
      case 0x6a: s.push(this.#get(this.#u32())); return // LONG_BINGET
      case 0x70: this.#memo.set(Number(this.#line()), this.#top()); return // PUT
      case 0x71: this.#memo.set(this.#b[this.#take(1)]!, this.#top()); return // BINPUT
      case 0x72: this.#memo.set(this.#u32(), this.#top()); return // LONG_BINPUT
      case 0x94: this.#memo.set(this.#memo.size, this.#top()); return // MEMOIZE
      case 0x63: { const mod = this.#line(); const name = this.#line(); s.push(this.#global(mod, name)); return } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = this.#pop()
        const mod = this.#pop()
        if (mod.k !== 'str' || name.k !== 'str') throw new PickleFormatError('imports a global whose name is computed, not written out')
        s.push(this.#global(mod.v, name.v))
        return
      }
      case 0x69: { // INST
        const mod = this.#line()
        const name = this.#line()
        const g = this.#global(mod, name)
        s.push({ k: 'obj', cls: g.k === 'global' ? g.name : null, args: { k: 'tuple', items: this.#popMark() }, state: null })
        return
      }
      case 0x6f: { const items = this.#popMark(); s.push(objOf(items[0], { k: 'tuple', items: items.slice(1) })); return } // OBJ
      case 0x81: { const args = this.#pop(); s.push(objOf(this.#pop(), args)); return } // NEWOBJ
      case 0x92: { this.#pop(); const args = this.#pop(); s.push(objOf(this.#pop(), args)); return } // NEWOBJ_EX
      case 0x52: { const args = this.#pop(); s.push(objOf(this.#pop(), args)); return } // REDUCE
      case 0x62: this.#build(); return // BUILD
      case 0x50: case 0x51: throw new PickleFormatError('uses persistent ids (PERSID), which plain model pickles do not') // PERSID BINPERSID
      case 0x82: case 0x83: case 0x84: throw new PickleFormatError('imports through the copyreg extension registry (EXT1/2/4), which Quiver cannot check')
      case 0x80: this.#take(1); return // PROTO
      case 0x95: this.#skip(8); return // FRAME
    }
    throw new PickleFormatError(`has an unknown opcode 0x${op.toString(16).padStart(2, '0')} at byte ${this.#pos - 1}`)
  }

  #build(): void {
    const state = this.#pop()
    const target = this.#top()
    if (target.k !== 'obj') return
    target.state = state
    if (target.cls && JOBLIB_WRAPPERS.has(target.cls)) this.#skipJoblibArray(state)
  }

  // joblib writes the array right after the wrapper's BUILD: raw bytes, or a nested pickle for objects.
  #skipJoblibArray(state: Value): void {
    const field = (name: string) => (state.k === 'dict' ? state.entries.find(([k]) => k.k === 'str' && k.v === name)?.[1] : undefined)
    const shape = field('shape')
    const dtype = field('dtype')
    if (!shape || shape.k !== 'tuple' || !dtype || dtype.k !== 'obj' || dtype.args?.k !== 'tuple') {
      throw new PickleFormatError('holds a joblib array wrapper Quiver cannot read')
    }
    const code = dtype.args.items[0]
    if (code?.k !== 'str') throw new PickleFormatError('holds a joblib array of an unreadable dtype')
    if (code.v === 'O8' || code.v === 'O4' || code.v === 'O') {
      this.#pos = new Machine(this.#b, this.#pos, this.#found).run()
      return
    }
    const itemSize = dtypeItemSize(code.v, dtype.state)
    const count = shape.items.reduce((n, d) => n * (d.k === 'int' ? d.v : NaN), 1)
    if (!Number.isFinite(count) || itemSize === null) throw new PickleFormatError(`holds a joblib array of dtype '${code.v}' that Quiver cannot step over`)
    const alignment = field('numpy_array_alignment_bytes')
    if (alignment && alignment.k === 'int') this.#skip(this.#b[this.#take(1)]!)
    this.#skip(count * itemSize)
  }

  #global(mod: string, name: string): Value {
    const full = `${RENAMED_MODULES[mod] ?? mod}.${name}`
    this.#found.add(full)
    return { k: 'global', name: full }
  }

  #get(i: number): Value {
    const v = this.#memo.get(i)
    if (!v) throw new PickleFormatError(`reads memo entry ${i}, which was never stored`)
    return v
  }

  #pop(): Value {
    const v = this.#stack.pop()
    if (!v || v.k === 'mark') throw new PickleFormatError('pops from an empty stack')
    return v
  }

  #top(): Value {
    const v = this.#stack[this.#stack.length - 1]
    if (!v) throw new PickleFormatError('reads from an empty stack')
    return v
  }

  #popMark(): Value[] {
    const i = this.#stack.lastIndexOf(MARK)
    if (i < 0) throw new PickleFormatError('has no MARK where one is needed')
    return this.#stack.splice(i).slice(1)
  }

  #take(n: number): number {
    const at = this.#pos
    if (at + n > this.#b.length) throw new PickleFormatError('ends in the middle of an opcode (truncated?)')
    this.#pos += n
    return at
  }

  #skip(n: number): void {
    this.#take(n)
  }

  #u32(): number {
    return this.#dv.getUint32(this.#take(4), true)
  }

  #u64(): number {
    return Number(this.#dv.getBigUint64(this.#take(8), true))
  }

  #str(n: number): Value {
    const at = this.#take(n)
    return { k: 'str', v: Buffer.from(this.#b.buffer, this.#b.byteOffset + at, n).toString('utf8') }
  }

  #line(): string {
    const end = this.#b.indexOf(0x0a, this.#pos)
    if (end < 0) throw new PickleFormatError('ends in the middle of a text opcode (truncated?)')
    const text = Buffer.from(this.#b.buffer, this.#b.byteOffset + this.#pos, end - this.#pos).toString('latin1')
    this.#pos = end + 1
    return text
  }
}

// Python 2 names that pickle's fix_imports maps to their Python 3 modules.
const RENAMED_MODULES: Record<string, string> = {
  __builtin__: 'builtins', copy_reg: 'copyreg', exceptions: 'builtins', commands: 'subprocess', UserDict: 'collections',
}

function objOf(cls: Value | undefined, args: Value): Value {
  return { k: 'obj', cls: cls?.k === 'global' ? cls.name : null, args, state: null }
}

function pairs(items: Value[]): [Value, Value][] {
  const out: [Value, Value][] = []
  for (let i = 0; i + 1 < items.length; i += 2) out.push([items[i]!, items[i + 1]!])
  return out
}

function addItems(target: Value, items: Value[]): void {
  if (target.k === 'list' || target.k === 'tuple') target.items.push(...items)
}

function addEntries(target: Value, entries: [Value, Value][]): void {
  if (target.k === 'dict') target.entries.push(...entries)
}

function unquote(s: string): string {
  return s.length >= 2 && (s[0] === "'" || s[0] === '"') ? s.slice(1, -1) : s
}

function dtypeItemSize(code: string, state: Value | null): number | null {
  const m = /^([biufcmMSUV?])(\d*)$/.exec(code)
  if (!m) return null
  if (m[1] === '?') return 1
  const n = Number(m[2] || '0')
  if (m[1] === 'V') {
    // Structured dtypes carry their layout in the state tuple: (version, order, subarray, names, fields, elsize, ...)
    const elsize = state?.k === 'tuple' ? state.items[5] : undefined
    return elsize?.k === 'int' && elsize.v > 0 ? elsize.v : n || null
  }
  if (m[1] === 'U') return 4 * n
  return n || null
}

/** Why a global is refused, or null when it is on the safe list. */
export function refusalOf(global: string): string | null {
  const dot = global.lastIndexOf('.')
  const module = global.slice(0, dot)
  const name = global.slice(dot + 1)
  if (EXACT_SAFE.has(global)) return null
  if (!SAFE_MODULE_PREFIXES.some((p) => module === p || module.startsWith(`${p}.`))) return 'not on the safe list'
  if (UNSAFE_MODULE_PREFIXES.some((p) => module === p || module.startsWith(`${p}.`))) return 'in a module that can run code or touch files'
  const parts = [...module.split('.'), name]
  if (parts.some((p) => UNSAFE_NAMES.has(p))) return 'able to run code or touch files'
  return null
}

const SAFE_MODULE_PREFIXES = ['numpy', 'sklearn', 'xgboost', 'scipy', 'collections']
const UNSAFE_MODULE_PREFIXES = [
  'numpy.testing', 'numpy.f2py', 'numpy.distutils', 'numpy.ctypeslib', 'numpy.lib.npyio', 'numpy.lib.format',
  'numpy.lib.utils', 'numpy.compat', 'numpy.core._internal',
  'sklearn.utils._testing', 'sklearn.externals', 'sklearn.datasets', 'sklearn.utils._show_versions',
  'scipy.io', 'scipy._lib._testutils', 'scipy.weave', 'scipy.misc',
  'xgboost.tracker', 'xgboost.dask', 'xgboost.spark', 'xgboost.testing', 'xgboost.rabit', 'xgboost.collective', 'xgboost.libpath',
  'collections.abc',
]
// Names that reach the OS, the interpreter or the file system even inside an allowed module
// (for example `sklearn.base.os` would be the os module).
const UNSAFE_NAMES = new Set([
  'os', 'sys', 'subprocess', 'builtins', 'importlib', 'shutil', 'pickle', 'io', 'socket', 'ctypes', 'runpy',
  'eval', 'exec', 'compile', 'open', 'system', 'popen', 'load', 'loads', 'save', 'savez', 'savez_compressed',
  'savetxt', 'loadtxt', 'genfromtxt', 'fromfile', 'tofile', 'memmap', 'fromregex', 'getattr', 'setattr',
  'delattr', '__import__', 'globals', 'locals', 'vars', 'run', 'call', 'execfile', 'input',
])
const EXACT_SAFE = new Set([
  'joblib.numpy_pickle.NumpyArrayWrapper', 'joblib.numpy_pickle_compat.NDArrayWrapper',
  'copyreg._reconstructor', 'copyreg.__newobj__', '_codecs.encode',
  'builtins.set', 'builtins.frozenset', 'builtins.slice', 'builtins.complex', 'builtins.bytearray',
  'builtins.object', 'builtins.bytes', 'builtins.range', 'builtins.float', 'builtins.int', 'builtins.bool',
  'builtins.str', 'builtins.list', 'builtins.tuple', 'builtins.dict',
])

/**
 * Refuses a pickle or joblib file whose globals fall outside the safe list, with InvalidInput
 * naming the first such global and the file. Files the scanner cannot follow are refused too.
 */
export function checkPickle(bytes: Uint8Array, fileName: string): void {
  let globals: string[]
  try {
    globals = pickleGlobals(bytes)
  } catch (err) {
    if (!(err instanceof PickleFormatError) && !(err instanceof RangeError) && !(err as { code?: string }).code?.startsWith('Z_')) throw err
    throw new InvalidInput(`${fileName} ${err instanceof PickleFormatError ? err.message : `could not be read as a pickle (${(err as Error).message})`}; upload with --trust to load it anyway`, { field: 'file_name', got: fileName })
  }
  for (const g of globals) {
    const why = refusalOf(g)
    if (why) {
      throw new InvalidInput(`${fileName} imports ${g}, which is ${why === 'not on the safe list' ? why : `not on the safe list (${why})`}; upload with --trust to load it anyway`, { field: 'file_name', got: g })
    }
  }
}

/** {@link checkPickle} over a file on disk. */
export async function checkPickleFile(path: string, fileName: string): Promise<void> {
  checkPickle(await readFile(path), fileName)
}
