#!/usr/bin/env bash
# Models as features, end to end: an embedding model chained into a fraud classifier as derived
# features of users; materialized and fetched online, the same features enriched offline (the two
# must agree), a leak-free training set over the transactions, and the lineage that connects them.
# Uses a fresh home unless QUIVER_HOME is set; outputs go to a temporary folder it prints.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
quiver="$here/../../bin/quiver"
export QUIVER_HOME="${QUIVER_HOME:-$(mktemp -d -t quiver-fraud-XXXXXX)}"
out="$(mktemp -d -t quiver-fraud-out-XXXXXX)"
q() { echo "\$ quiver $*" >&2; "$quiver" "$@"; }
cd "$here"

q upload embed embed.onnx --framework onnx
q upload classifier classifier.onnx --framework onnx
q features apply features.json
q features materialize users

# Online: user 2's latest values, the embedding and the score computed now.
q fetch users --key user_id=2 --json | tee "$out/online.json"

# Offline: the same derived features over every users row, streamed through the same code.
q enrich --input users.csv --features users.embedding,users.fraud_score --output "$out/enriched.json"
node -e '
  const fs = require("fs")
  const online = JSON.parse(fs.readFileSync(process.argv[1], "utf8"))
  const rows = JSON.parse(fs.readFileSync(process.argv[2], "utf8")).filter((r) => r.user_id === 2)
  const latest = rows.reduce((a, b) => (a.ts > b.ts ? a : b))
  const on = Math.fround(online.features.fraud_score), off = Math.fround(latest["users.fraud_score"])
  if (on !== off) { console.error(`online ${on} and offline ${off} disagree`); process.exit(1) }
  console.error(`online and offline agree: fraud_score(user 2) = ${on}`)
' "$out/online.json" "$out/enriched.json"

# Training set: each transaction plus the user features as of its time (never later).
q training-set --spine transactions.csv --features users.age,users.amount_30d,users.fraud_score --label is_fraud --window 30d --output "$out/training.csv"
cat "$out/training.csv"

q lineage users.fraud_score --format mermaid
echo "outputs in $out" >&2
