"""Trains one small model of each common sklearn/xgboost family and writes it as pickle (protocols
0 to 5) and joblib (plain, zlib, gzip) into argv[1]. Prints a JSON list of
{file, n_features, x, expected} where expected is model.predict(x) as the library returns it."""
import json
import pathlib
import pickle
import sys
import warnings

import joblib
import numpy as np

warnings.simplefilter("ignore")


def estimators():
    from sklearn import ensemble, linear_model, naive_bayes, neighbors, neural_network, pipeline, preprocessing, svm, tree, decomposition, compose, cluster
    import xgboost
    return {
        "logreg": linear_model.LogisticRegression(max_iter=200),
        "ridge": linear_model.Ridge(),
        "sgd": linear_model.SGDClassifier(random_state=0),
        "tree": tree.DecisionTreeClassifier(max_depth=4, random_state=0),
        "forest": ensemble.RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0),
        "extra_trees": ensemble.ExtraTreesRegressor(n_estimators=5, max_depth=4, random_state=0),
        "gbm": ensemble.GradientBoostingClassifier(n_estimators=5, random_state=0),
        "hist_gbm": ensemble.HistGradientBoostingRegressor(max_iter=5),
        "iforest": ensemble.IsolationForest(n_estimators=5, random_state=0),
        "knn": neighbors.KNeighborsClassifier(n_neighbors=3),
        "svc": svm.SVC(),
        "naive_bayes": naive_bayes.GaussianNB(),
        "mlp": neural_network.MLPClassifier(hidden_layer_sizes=(4,), max_iter=50, random_state=0),
        "kmeans": cluster.KMeans(n_clusters=3, n_init=2, random_state=0),
        "pipeline": pipeline.make_pipeline(preprocessing.StandardScaler(), decomposition.PCA(2), linear_model.LogisticRegression()),
        "column_transformer": pipeline.make_pipeline(
            compose.ColumnTransformer([("scale", preprocessing.StandardScaler(), [0, 1]), ("bins", preprocessing.KBinsDiscretizer(3), [2, 3])]),
            linear_model.LogisticRegression()),
        "xgb_classifier": xgboost.XGBClassifier(n_estimators=3, max_depth=2),
        "xgb_regressor": xgboost.XGBRegressor(n_estimators=3, max_depth=2),
    }


def main():
    out = pathlib.Path(sys.argv[1])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    y[:20] += (x[:20, 2] > 0).astype(int)
    cases = []
    for name, est in estimators().items():
        target = x @ np.array([1.0, 2.0, -1.0, 0.5]) if name in ("ridge", "extra_trees", "hist_gbm", "xgb_regressor") else y
        est.fit(x, target)
        probe = x[:5]
        expected = np.asarray(est.predict(probe)).tolist()
        for fmt in ("p0.pkl", "p1.pkl", "p2.pkl", "p3.pkl", "p4.pkl", "p5.pkl", "joblib", "zlib.joblib", "gz.joblib"):
            path = out / f"{name}.{fmt}"
            if fmt.endswith(".pkl"):
                path.write_bytes(pickle.dumps(est, protocol=int(fmt[1])))
            else:
                compress = {"joblib": 0, "zlib.joblib": ("zlib", 3), "gz.joblib": ("gzip", 3)}[fmt]
                joblib.dump(est, path, compress=compress)
            cases.append({"file": str(path), "n_features": 4, "x": probe.tolist(), "expected": expected})
    print(json.dumps(cases))


if __name__ == "__main__":
    main()
