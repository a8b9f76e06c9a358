#!/usr/bin/env bash
# Quiver on its embedded defaults (PGlite + files, no server): upload an ONNX model, tag it,
# run it on a table, show the registry. Uses a fresh home unless QUIVER_HOME is set.
set -euo pipefail
cd "$(dirname "$0")/.."
export QUIVER_HOME="${QUIVER_HOME:-$(mktemp -d -t quiver-demo-XXXXXX)}"
q() { echo "\$ quiver $*" >&2; bin/quiver "$@"; }

echo "Quiver home: $QUIVER_HOME" >&2
q upload iris examples/iris-onnx/model.onnx --framework onnx --description "iris MLP (ONNX)" --meta owner=demo
q upload iris examples/iris-onnx/model.onnx --framework onnx --tag production
q versions iris
q tag iris#1 baseline
q show iris@production
q infer iris@production --input examples/iris-onnx/input.json --output-format table
q models
