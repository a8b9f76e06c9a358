/** A training set and trainer for job tests: the iris data as CSV (written by scikit-learn) and a logistic regression. */
export const IRIS_CSV = `
import csv, sys
from sklearn.datasets import load_iris
d = load_iris()
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["sl", "sw", "pl", "pw", "species"])
    for x, y in zip(d.data, d.target):
        w.writerow([repr(float(v)) for v in x] + [int(y)])
`
export const LOGREG = `from sklearn.linear_model import LogisticRegression\n\ndef train(X, y, config):\n    return LogisticRegression(max_iter=500).fit(X, y)\n`
