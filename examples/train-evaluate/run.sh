#!/usr/bin/env bash
# Train, evaluate, compare, promote: a churn model trained on a point-in-time training set (each
# spine row's customer features as of its own time), a baseline version serving as `production`,
# a retrained version evaluated against it on a held-out test suite with named cases, and
# `production` moved to the better one only when it regresses on no case.
# Uses a fresh home unless QUIVER_HOME is set; outputs go to a temporary folder it prints.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
quiver="$here/../../bin/quiver"
export QUIVER_HOME="${QUIVER_HOME:-$(mktemp -d -t quiver-train-XXXXXX)}"
out="$(mktemp -d -t quiver-train-out-XXXXXX)"
q() { echo "\$ quiver $*" >&2; "$quiver" "$@"; }
cd "$here"
features=customers.tenure_months,customers.monthly_spend,customers.support_calls

q features apply features.json

# The version in production today: a majority-class baseline, trained as of 2025-06-30.
q train churn --trainer trainer.py --spine spine.csv --features "$features" --label churned --window 180d \
  --date 2025-06-30 --config model=baseline --tag production

# Retraining on a new date is a new version: a logistic regression on the same training set.
q train churn --trainer trainer.py --spine spine.csv --features "$features" --label churned --window 180d \
  --date 2025-07-29 --config C=1.0 --tag 2025-07-29

# A held-out test suite: other customers, their features as of their own time, with named cases.
q training-set --spine holdout-spine.csv --features "$features" --label churned --window 180d --output "$out/holdout.csv"
q suite create churn-holdout --file "$out/holdout.csv" --label churned --features "$features" \
  --case new='in.`customers.tenure_months` < 24' --case loyal='in.`customers.tenure_months` >= 24' \
  --case many_calls='in.`customers.support_calls` >= 4'

q evaluate churn@production --suite churn-holdout
q evaluate churn@2025-07-29 --suite churn-holdout --json > "$out/evaluation.json"

# Side by side; production moves to the better version only if it regresses on no case.
q compare churn@production churn@2025-07-29 --suite churn-holdout --promote production
q show churn@production --json | node -e '
  const v = JSON.parse(require("fs").readFileSync(0, "utf8"))
  if (v.seq !== 2) { console.error(`production is churn#${v.seq}, expected the retrained churn#2`); process.exit(1) }
  console.error(`production is churn#${v.seq} (${v.metadata.promotion.decision}: ${v.metadata.promotion.reason})`)
'
q lineage churn --format mermaid
echo "outputs in $out" >&2
