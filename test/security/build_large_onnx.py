"""Writes an ONNX model of about MIB mebibytes: y = x * 0 + sum(W) for x of shape [batch, 4].

usage: build_large_onnx.py OUT MIB
Big enough that storing, hashing and loading it take a while, so that a process killed at a random
moment is often in the middle of one of them.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out, mib = sys.argv[1], int(sys.argv[2])
w = numpy_helper.from_array(np.random.default_rng(7).random(mib * 262144, dtype=np.float32), 'W')
zero = helper.make_tensor('zero', TensorProto.FLOAT, [], [0.0])
graph = helper.make_graph(
    [
        helper.make_node('ReduceSum', ['W'], ['s'], keepdims=1),
        helper.make_node('Mul', ['x', 'zero'], ['x0']),
        helper.make_node('Add', ['x0', 's'], ['y']),
    ],
    'large',
    [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['batch', 4])],
    [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['batch', 4])],
    initializer=[zero, w],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)])
model.ir_version = 8
onnx.save_model(model, out)
