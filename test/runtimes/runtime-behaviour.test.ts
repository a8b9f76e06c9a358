/** Every runtime in the runtime table through the shared behaviour suite. */
import { JsRuntime } from '../../src/runtimes/js/js-runtime.js'
import { ConvertedRuntime } from '../../src/runtimes/convert/converted-runtime.js'
import { OnnxRuntime } from '../../src/runtimes/onnx/onnx-runtime.js'
import { PythonRuntime } from '../../src/runtimes/python/python-runtime.js'
import { pythonOr } from './python-helpers.js'
import { runtimeSuite } from './runtime.suite.js'

runtimeSuite('onnx', { runtime: async () => new OnnxRuntime(), cases: ['onnx-mlp-iris'] })

runtimeSuite('converted', {
  runtime: async () => new ConvertedRuntime(),
  cases: ['sklearn-logreg-iris', 'xgboost-regressor-diabetes-json'],
  available: async (t) => (await pythonOr(t, ['numpy', 'sklearn', 'xgboost'])) !== null,
})

runtimeSuite('python', {
  runtime: async () => new PythonRuntime(),
  cases: ['sklearn-logreg-iris', 'python-zscore-step'],
  available: async (t) => (await pythonOr(t, ['numpy', 'sklearn', 'pandas'])) !== null,
})

runtimeSuite('js', { runtime: async () => new JsRuntime(), cases: ['js-zscore-step'] })
