/**
 * Reads a pickle's opcodes (protocols 0–5) without running it, the way Python's unpickler would,
 * and refuses it unless every global it imports is an exact `module` + `qualname` pair on the
 * safe list and is used only as the list allows. A symbolic stack and memo follow every value, so
 * a name assembled through memo entries is seen as the unpickler will see it. joblib files are
 * read as joblib reads them: zlib/gzip containers are opened, and the raw array bytes that follow
 * each NumpyArrayWrapper are stepped over exactly (or read as the nested pickle of an object array).
 */
import { readFile } from 'node:fs/promises'
import { gunzipSync, inflateSync } from 'node:zlib'
import { InvalidInput } from '../../errors.js'
import { joblibArrayBytes } from './joblib-array.js'
import type { Value } from './pickle-values.js'
import { isGlobal, MARK, NONE, OTHER, ScanRefusal } from './pickle-values.js'
import { py3Name, safeUse } from './safe-globals.js'

export { ScanRefusal } from './pickle-values.js'

const NUMPY_ARRAY_WRAPPER = 'joblib.numpy_pickle.NumpyArrayWrapper'
const TRUST_HINT = 'upload with --trust to load it anyway'

/** Every global a pickle (or joblib file) imports, in order of appearance, duplicates removed. Refuses what it cannot follow. */
export function pickleGlobals(bytes: Uint8Array): string[] {
  return scan(bytes, false)
}

function scan(bytes: Uint8Array, enforce: boolean): string[] {
  const data = decompressJoblib(bytes)
  const found = new Set<string>()
  const end = new Machine(data, 0, found, { joblib: true, enforce }).run()
  if (end < data.length) {
    throw new ScanRefusal(`has ${data.length - end} bytes after the end of its pickle (its STOP opcode is at byte ${end - 1}); a loader that reads on would run them`, end)
  }
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
      throw new ScanRefusal(`is a joblib file compressed with ${name}, which Quiver cannot inspect; save it uncompressed or with compress=('zlib', 3)`, 0)
    }
  }
  return b
}

interface MachineOptions {
  /** joblib's unpickler reads array bytes after a NumpyArrayWrapper's BUILD; plain pickle.load (nested object arrays) does not. */
  joblib: boolean
  /** Refuse globals off the list as they are met (otherwise only collect them). */
  enforce: boolean
}

class Machine {
  #stack: Value[] = []
  #memo = new Map<number, Value>()
  #proto = 0
  #pos: number
  #opAt = 0
  readonly #b: Uint8Array
  readonly #dv: DataView
  readonly #found: Set<string>
  readonly #opts: MachineOptions

  constructor(bytes: Uint8Array, start: number, found: Set<string>, opts: MachineOptions) {
    this.#b = bytes
    this.#dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.#pos = start
    this.#found = found
    this.#opts = opts
  }

  /** Runs to STOP; returns the position after it. */
  run(): number {
    for (;;) {
      if (this.#pos >= this.#b.length) throw this.#refuse('ends before its STOP opcode (truncated?)')
      this.#opAt = this.#pos
      const op = this.#b[this.#pos++]!
      if (op === 0x2e) return this.#pos // STOP
      this.#step(op)
    }
  }

  #step(op: number): void {
    const s = this.#stack
    switch (op) {
      case 0x28: s.push(MARK); return // MARK
      case 0x30: s.pop(); return // POP (pops the MARK itself when nothing is above it, as Python does)
      case 0x31: this.#popMark(); return // POP_MARK
      case 0x32: s.push(this.#top()); return // DUP
      case 0x46: this.#line(); s.push(OTHER); return // FLOAT
      case 0x49: { const l = this.#line(); s.push(/^-?\d+$/.test(l) ? { k: 'int', v: Number(l) } : OTHER); return } // INT (and 00/01 bools)
      case 0x4a: s.push({ k: 'int', v: this.#dv.getInt32(this.#take(4), true) }); return // BININT
      case 0x4b: s.push({ k: 'int', v: this.#b[this.#take(1)]! }); return // BININT1
      case 0x4d: s.push({ k: 'int', v: this.#dv.getUint16(this.#take(2), true) }); return // BININT2
      case 0x4c: this.#line(); s.push(OTHER); return // LONG
      case 0x8a: this.#skip(this.#b[this.#take(1)]!); s.push(OTHER); return // LONG1
      case 0x8b: this.#skip(this.#u32()); s.push(OTHER); return // LONG4
      case 0x4e: s.push(NONE); return // NONE
      case 0x88: case 0x89: s.push(OTHER); return // NEWTRUE NEWFALSE
      case 0x47: this.#skip(8); s.push(OTHER); return // BINFLOAT
      case 0x53: s.push(quotedString(this.#line())); return // STRING
      case 0x54: s.push(this.#str(this.#u32())); return // BINSTRING
      case 0x55: s.push(this.#str(this.#b[this.#take(1)]!)); return // SHORT_BINSTRING
      case 0x56: { const l = this.#line(); s.push(l.includes('\\') ? OTHER : { k: 'str', v: l }); return } // UNICODE (raw-unicode-escape)
      case 0x58: s.push(this.#str(this.#u32())); return // BINUNICODE
      case 0x8c: s.push(this.#str(this.#b[this.#take(1)]!)); return // SHORT_BINUNICODE
      case 0x8d: s.push(this.#str(this.#u64())); return // BINUNICODE8
      case 0x42: this.#skip(this.#u32()); s.push(OTHER); return // BINBYTES
      case 0x43: this.#skip(this.#b[this.#take(1)]!); s.push(OTHER); return // SHORT_BINBYTES
      case 0x8e: case 0x96: this.#skip(this.#u64()); s.push(OTHER); return // BINBYTES8 BYTEARRAY8
      case 0x97: case 0x98: throw this.#refuse('uses out-of-band buffers (NEXT_BUFFER/READONLY_BUFFER), which a model file cannot carry')
      case 0x29: s.push({ k: 'tuple', items: [] }); return // EMPTY_TUPLE
      case 0x8f: s.push({ k: 'list', items: [] }); return // EMPTY_SET
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
      case 0x67: s.push(this.#get(this.#index(this.#line()))); return // GET
      case 0x68: s.push(this.#get(this.#b[this.#take(1)]!)); return // BINGET
      case 0x6a: s.push(this.#get(this.#u32())); return // LONG_BINGET
      case 0x70: this.#memo.set(this.#index(this.#line()), this.#top()); return // PUT
      case 0x71: this.#memo.set(this.#b[this.#take(1)]!, this.#top()); return // BINPUT
      case 0x72: this.#memo.set(this.#u32(), this.#top()); return // LONG_BINPUT
      case 0x94: this.#memo.set(this.#memo.size, this.#top()); return // MEMOIZE
      case 0x63: { const mod = this.#line(); const name = this.#line(); s.push(this.#global(mod, name)); return } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = this.#pop()
        const mod = this.#pop()
        if (mod.k !== 'str' || name.k !== 'str') throw this.#refuse('imports a global whose name is not a plain string (STACK_GLOBAL of a computed value)')
        s.push(this.#global(mod.v, name.v))
        return
      }
      case 0x69: { // INST
        const mod = this.#line()
        const name = this.#line()
        const cls = this.#global(mod, name)
        s.push(this.#call(cls, { k: 'tuple', items: this.#popMark() }, 'call'))
        return
      }
      case 0x6f: { const items = this.#popMark(); s.push(this.#call(items[0], { k: 'tuple', items: items.slice(1) }, 'call')); return } // OBJ
      case 0x81: { const args = this.#pop(); s.push(this.#call(this.#pop(), args, 'new')); return } // NEWOBJ
      case 0x92: { this.#pop(); const args = this.#pop(); s.push(this.#call(this.#pop(), args, 'new')); return } // NEWOBJ_EX
      case 0x52: { const args = this.#pop(); s.push(this.#call(this.#pop(), args, 'call')); return } // REDUCE
      case 0x62: this.#build(); return // BUILD
      case 0x50: case 0x51: throw this.#refuse('uses persistent ids (PERSID), which plain model pickles do not')
      case 0x82: case 0x83: case 0x84: throw this.#refuse('imports through the copyreg extension registry (EXT1/2/4), which Quiver cannot check')
      case 0x80: this.#proto = this.#b[this.#take(1)]!; return // PROTO
      case 0x95: this.#skip(8); return // FRAME
    }
    throw this.#refuse(`has an unknown opcode 0x${op.toString(16).padStart(2, '0')}`)
  }

  /** A call the unpickler makes: `how` is 'call' for REDUCE/OBJ/INST (runs the constructor) and 'new' for NEWOBJ. */
  #call(callable: Value | undefined, args: Value, how: 'call' | 'new'): Value {
    if (!callable || !isGlobal(callable)) {
      throw this.#refuse('calls something that is not an imported global (the result of another call, or a container); model pickles only call listed classes and reconstructors')
    }
    if (this.#opts.enforce) {
      const use = safeUse(callable.module, callable.name)
      if (how === 'call' && use !== 'call') {
        throw this.#refuse(`calls ${callable.full} (imported at byte ${callable.at}) with its constructor, which may only be created without it: its constructor reads files`, callable.full)
      }
      if (callable.full === 'copyreg.__newobj__' || callable.full === 'copyreg.__newobj_ex__') this.#requireClass(args, 0, callable.full)
      if (callable.full === 'copyreg._reconstructor') {
        this.#requireClass(args, 0, callable.full)
        const base = args.k === 'tuple' ? args.items[1] : undefined
        if (!base || !isGlobal(base) || (base.full !== 'builtins.object' && safeUse(base.module, base.name) !== 'call')) {
          throw this.#refuse('calls copyreg._reconstructor with a base class whose constructor may not be run', 'copyreg._reconstructor')
        }
      }
    }
    return { k: 'obj', cls: callable.full, args, state: null }
  }

  #requireClass(args: Value, i: number, by: string): void {
    const cls = args.k === 'tuple' ? args.items[i] : undefined
    if (!cls || !isGlobal(cls)) throw this.#refuse(`calls ${by} on something that is not an imported class`, by)
  }

  #build(): void {
    const state = this.#pop()
    const target = this.#top()
    if (isGlobal(target)) throw this.#refuse(`sets attributes on ${target.full} itself (BUILD on a class or function)`, target.full)
    if (target.k !== 'obj') return
    target.state = state
    if (target.cls === NUMPY_ARRAY_WRAPPER && this.#opts.joblib) this.#readJoblibArray(state)
  }

  // joblib's unpickler reads the array right after the wrapper's BUILD: raw bytes, or a nested pickle.
  #readJoblibArray(state: Value): void {
    const layout = joblibArrayBytes(state)
    if (typeof layout === 'string') throw this.#refuse(`holds a joblib array ${layout}`, NUMPY_ARRAY_WRAPPER)
    if (layout.kind === 'pickle') {
      // joblib calls plain pickle.load here: a fresh memo, and wrappers inside are not expanded.
      this.#pos = new Machine(this.#b, this.#pos, this.#found, { joblib: false, enforce: this.#opts.enforce }).run()
      return
    }
    if (layout.padded) this.#skip(this.#b[this.#take(1)]!)
    this.#skip(layout.bytes)
  }

  #global(rawModule: string, rawName: string): Value {
    const [module, name] = this.#proto < 3 ? py3Name(rawModule, rawName) : [rawModule, rawName]
    const full = `${module}.${name}`
    this.#found.add(full)
    if (this.#opts.enforce && safeUse(module, name) === null) throw this.#refuse(`imports ${full}, which is not on the safe list${whyRefused(module, name)}`, full)
    return { k: 'global', module, name, full, at: this.#opAt }
  }

  #index(line: string): number {
    if (!/^\d{1,9}$/.test(line)) throw this.#refuse(`uses memo key '${line.slice(0, 20)}', which is not a plain number`)
    return Number(line)
  }

  #get(i: number): Value {
    const v = this.#memo.get(i)
    if (!v) throw this.#refuse(`reads memo entry ${i}, which was never stored`)
    return v
  }

  #pop(): Value {
    const v = this.#stack.pop()
    if (!v || v.k === 'mark') throw this.#refuse('pops from an empty stack')
    return v
  }

  #top(): Value {
    const v = this.#stack[this.#stack.length - 1]
    if (!v || v.k === 'mark') throw this.#refuse('reads from an empty stack')
    return v
  }

  #popMark(): Value[] {
    const i = this.#stack.lastIndexOf(MARK)
    if (i < 0) throw this.#refuse('has no MARK where one is needed')
    return this.#stack.splice(i).slice(1)
  }

  #take(n: number): number {
    const at = this.#pos
    if (!Number.isSafeInteger(n) || n < 0 || at + n > this.#b.length) throw this.#refuse('ends in the middle of an opcode (truncated?)')
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
    if (end < 0) throw this.#refuse('ends in the middle of a text opcode (truncated?)')
    const text = Buffer.from(this.#b.buffer, this.#b.byteOffset + this.#pos, end - this.#pos).toString('utf8')
    this.#pos = end + 1
    return text
  }

  #refuse(why: string, global?: string): ScanRefusal {
    return new ScanRefusal(why, this.#opAt, global)
  }
}

function whyRefused(module: string, name: string): string {
  if (module === 'joblib.numpy_pickle_compat' && name === 'NDArrayWrapper') return ": joblib's old multi-file array format, which makes joblib load a second file by name"
  if (name.includes('.')) return ` (it walks the attribute path '${name}' from module ${module})`
  if (safeUse(module, name.split('.')[0]!) === null && /^(numpy|sklearn|xgboost|scipy|collections|joblib)(\.|$)/.test(module)) {
    return ' (only listed classes and reconstructors of these libraries are; functions that write or read files, import modules or look up attributes are not)'
  }
  return ''
}

// STRING holds a Python literal: escapes are decoded by Python, so a name written with them is not read here.
function quotedString(line: string): Value {
  const q = line[0]
  if (line.length < 2 || (q !== "'" && q !== '"') || line[line.length - 1] !== q) return OTHER
  const body = line.slice(1, -1)
  return body.includes('\\') ? OTHER : { k: 'str', v: body }
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

/**
 * Refuses a pickle or joblib file unless every global it imports is on the safe list and used as
 * the list allows, with InvalidInput naming the global, the byte offset and the file.
 * Files the scanner cannot follow are refused too.
 */
export function checkPickle(bytes: Uint8Array, fileName: string): void {
  try {
    scan(bytes, true)
  } catch (err) {
    if (err instanceof ScanRefusal) {
      const where = err.offset === null ? '' : ` (at byte ${err.offset})`
      throw new InvalidInput(`${fileName} ${err.message}${where}; ${TRUST_HINT}`, { field: 'file_name', got: err.global ?? fileName, offset: err.offset })
    }
    if (!(err instanceof RangeError) && !(err as { code?: string }).code?.startsWith('Z_')) throw err
    throw new InvalidInput(`${fileName} could not be read as a pickle (${(err as Error).message}); ${TRUST_HINT}`, { field: 'file_name', got: fileName })
  }
}

/** {@link checkPickle} over a file on disk. */
export async function checkPickleFile(path: string, fileName: string): Promise<void> {
  checkPickle(await readFile(path), fileName)
}
