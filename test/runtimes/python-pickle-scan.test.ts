import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { deflateSync } from 'node:zlib'
import { checkPickle, pickleGlobals } from '../../src/runtimes/python/pickle-scan.js'
import { MODELS_DIR, PY_FIXTURES } from './python-helpers.js'

const read = (...p: string[]) => readFileSync(join(...p))

function refusal(bytes: Uint8Array, name: string): string {
  try {
    checkPickle(bytes, name)
  } catch (err) {
    assert.equal((err as { code?: string }).code, 'invalid_input')
    return (err as Error).message
  }
  assert.fail(`${name} passed the scan`)
}

describe('pickle scan refuses unsafe globals, naming them', () => {
  const cases: [string, string][] = [
    ['os-system-p0.pkl', 'os.system'],
    ['posix-system-p4.pkl', 'posix.system'],
    ['subprocess-popen-p2.pkl', 'subprocess.Popen'],
    ['builtins-eval-p5.pkl', 'builtins.eval'],
    ['builtins-exec-p3.pkl', 'builtins.exec'],
    ['model-with-payload.pkl', 'posix.system'],
    ['memo-stack-global.pkl', 'builtins.eval'],
  ]
  for (const [file, global] of cases) {
    test(file, () => {
      const msg = refusal(read(PY_FIXTURES, 'unsafe', file), 'model.pkl')
      assert.match(msg, new RegExp(`^model\\.pkl imports ${global.replace('.', '\\.')}, which is not on the safe list \\(at byte \\d+\\); upload with --trust to load it anyway$`))
    })
  }

  test('a global reached through an allowed module (sklearn.base.os) is refused', () => {
    const bytes = Buffer.from("csklearn.base\nos\n.", 'latin1')
    assert.match(refusal(bytes, 'model.pkl'), /model\.pkl imports sklearn\.base\.os, which is not on the safe list \(only listed classes/)
  })

  test('an attribute path after an allowed module is refused, naming the path', () => {
    const bytes = protocol4(['numpy', '__builtins__.get'])
    assert.match(refusal(bytes, 'model.pkl'), /imports numpy\.__builtins__\.get, which is not on the safe list \(it walks the attribute path '__builtins__\.get' from module numpy\) \(at byte 27\)/)
  })

  test('a listed class with a dotted qualname that is not itself listed is refused', () => {
    const bytes = protocol4(['sklearn.linear_model._logistic', 'LogisticRegression.__init__.__globals__'])
    assert.match(refusal(bytes, 'model.pkl'), /imports sklearn\.linear_model\._logistic\.LogisticRegression\.__init__\.__globals__/)
  })

  test('allowed libraries\' functions that write files are refused', () => {
    assert.match(refusal(Buffer.from('cjoblib\ndump\n.', 'latin1'), 'm.pkl'), /imports joblib\.dump, which is not on the safe list/)
    assert.match(refusal(Buffer.from('cscipy.sparse._matrix_io\nsave_npz\n.', 'latin1'), 'm.pkl'), /imports scipy\.sparse\._matrix_io\.save_npz/)
    assert.match(refusal(Buffer.from('coperator\nattrgetter\n.', 'latin1'), 'm.pkl'), /imports operator\.attrgetter/)
  })

  test('bytes after STOP are refused', () => {
    const good = read(MODELS_DIR, 'xgboost-binary-breast-cancer-pkl', 'model.pkl')
    const tail = protocol4(['builtins', 'eval'])
    assert.match(refusal(Buffer.concat([good, tail]), 'model.pkl'), new RegExp(`has ${tail.length} bytes after the end of its pickle \\(its STOP opcode is at byte ${good.length - 1}\\)`))
  })

  test('a name whose STRING operand uses escapes is refused as not a plain string', () => {
    const bytes = Buffer.concat([Buffer.from([0x80, 0x04]), Buffer.from("S'\\x62uiltins'\n", 'latin1'), shortUnicode('eval'), Buffer.from([0x93, 0x2e])])
    assert.match(refusal(bytes, 'model.pkl'), /imports a global whose name is not a plain string/)
  })

  test('calling the result of a call (not a named global) is refused', () => {
    // builtins.dict() then REDUCE on that dict.
    const bytes = Buffer.concat([Buffer.from([0x80, 0x04]), shortUnicode('builtins'), shortUnicode('dict'), Buffer.from([0x93, 0x29, 0x52, 0x29, 0x52, 0x2e])])
    assert.match(refusal(bytes, 'model.pkl'), /calls something that is not an imported global/)
  })

  test('xgboost.core.Booster may be created but its file-reading constructor may not be called', () => {
    const bytes = Buffer.concat([Buffer.from([0x80, 0x04]), shortUnicode('xgboost.core'), shortUnicode('Booster'), Buffer.from([0x93, 0x29, 0x52, 0x2e])])
    assert.match(refusal(bytes, 'model.pkl'), /calls xgboost\.core\.Booster \(imported at byte 25\) with its constructor/)
  })

  test('numpy.testing is refused although numpy is allowed', () => {
    const bytes = Buffer.from('cnumpy.testing._private.utils\nrunstring\n.', 'latin1')
    assert.match(refusal(bytes, 'm.pkl'), /imports numpy\.testing\._private\.utils\.runstring/)
  })

  test('truncated pickles and unknown opcodes are refused, not guessed', () => {
    const good = read(MODELS_DIR, 'sklearn-logreg-iris', 'model.pkl')
    assert.match(refusal(good.subarray(0, good.length / 2), 'model.pkl'), /^model\.pkl ends (before its STOP opcode|in the middle of)/)
    assert.match(refusal(Buffer.from([0x80, 0x04, 0xff]), 'model.pkl'), /unknown opcode 0xff/)
  })

  test('joblib files compressed with a codec Quiver cannot read are refused clearly', () => {
    assert.match(refusal(Buffer.from('BZh91AY&SY'), 'model.joblib'), /model\.joblib is a joblib file compressed with bz2/)
  })

  test('a zlib-wrapped unsafe pickle is still found', () => {
    const wrapped = deflateSync(read(PY_FIXTURES, 'unsafe', 'builtins-eval-p5.pkl'))
    assert.match(refusal(wrapped, 'model.joblib'), /imports builtins\.eval/)
  })
})

function shortUnicode(s: string): Buffer {
  return Buffer.concat([Buffer.from([0x8c, s.length]), Buffer.from(s, 'latin1')])
}

/** PROTO 4, then STACK_GLOBAL of each (module, name) pair, then STOP. */
function protocol4(...globals: [string, string][]): Buffer {
  return Buffer.concat([Buffer.from([0x80, 0x04]), ...globals.flatMap(([m, n]) => [shortUnicode(m), shortUnicode(n), Buffer.from([0x93])]), Buffer.from([0x2e])])
}

describe('pickle scan passes real model files', () => {
  for (const file of [
    join(MODELS_DIR, 'sklearn-logreg-iris', 'model.pkl'),
    join(MODELS_DIR, 'sklearn-random-forest-wine', 'model.pkl'),
    join(MODELS_DIR, 'xgboost-binary-breast-cancer-pkl', 'model.pkl'),
    join(PY_FIXTURES, 'pipeline.joblib'),
    join(PY_FIXTURES, 'pipeline-zlib.joblib'),
  ]) {
    test(file.slice(file.indexOf('fixtures/')), () => {
      const bytes = read(file)
      checkPickle(bytes, 'model.pkl')
      const globals = pickleGlobals(bytes)
      assert.ok(globals.length > 0 && globals.every((g) => /^(numpy|sklearn|xgboost|scipy|joblib|builtins|copyreg|collections|_codecs)\./.test(g)), globals.join(', '))
    })
  }

  test('joblib arrays are stepped over: the wrapper is seen and what follows is still scanned', () => {
    const globals = pickleGlobals(read(PY_FIXTURES, 'pipeline.joblib'))
    assert.ok(globals.includes('joblib.numpy_pickle.NumpyArrayWrapper'))
    assert.ok(globals.includes('sklearn.linear_model._logistic.LogisticRegression'), globals.join(', '))
  })
})
