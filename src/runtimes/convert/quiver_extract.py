"""Reads a fitted sklearn/xgboost model and prints its structure as JSON for native evaluation.

Protocol (one JSON document per line):
  argv: PATH FILE_NAME FRAMEWORK OUTPUT_FIELDS(comma-separated) [--reference-only] [--trusted]
  stdout line 1: {"ok": true, "model": {...}} or {"ok": false, "code": ..., "message": ...}
  stdin line 1: {"rows": R, "features": F, "dtype": D, "x": base64 of R*F little-endian float64, cast to D}
  stdout line 2: {"ok": true, "outputs": {field: {"shape": [...], "f8": base64} | {"shape": [...], "labels": [...]}}}
The reference outputs are computed exactly as the Python worker computes them, so the native
evaluator is checked against what the model would otherwise serve.
"""
import base64
import json
import os
import sys

import numpy as np

# The restricted unpickler is shared with the Python worker.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python", "worker"))

SKLEARN_OUTPUTS = {"predictions": "predict", "probabilities": "predict_proba", "scores": "decision_function",
                   "labels": "predict"}
TREE_CLASSES = {"DecisionTreeClassifier", "DecisionTreeRegressor", "ExtraTreeClassifier", "ExtraTreeRegressor"}
FOREST_CLASSES = {"RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor"}
BOOSTING_CLASSES = {"GradientBoostingClassifier", "GradientBoostingRegressor"}
LINEAR_REGRESSORS = {"LinearRegression", "Ridge", "RidgeCV", "Lasso", "LassoCV", "ElasticNet", "ElasticNetCV",
                     "SGDRegressor"}
LINEAR_CLASSIFIERS = {"LogisticRegression", "LogisticRegressionCV", "LinearSVC", "SGDClassifier", "RidgeClassifier",
                      "RidgeClassifierCV"}
XGB_WRAPPERS = {"XGBClassifier", "XGBRegressor", "XGBRFClassifier", "XGBRFRegressor"}


class Refusal(Exception):
    def __init__(self, message, code="unsupported"):
        super().__init__(message)
        self.code = code


def emit(doc):
    sys.stdout.write(json.dumps(doc, allow_nan=False) + "\n")
    sys.stdout.flush()


def floats(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def labels(a):
    return [v.item() if hasattr(v, "item") else v for v in np.asarray(a).ravel()]


def is_pickle(path):
    with open(path, "rb") as f:
        head = f.read(6)
    return head[:1] in (b"\x80", b"\x78") or head[:2] in (b"\x1f\x8b", b"BZ", b"\x5d\x00") or head == b"\xfd7zXZ\x00"


def unpickle(path, file_name, trusted):
    import quiver_safe_unpickle
    try:
        if not trusted:
            return quiver_safe_unpickle.load(path, file_name)
        import joblib
        return joblib.load(path)
    except ImportError:
        import pickle
        with open(path, "rb") as f:
            return pickle.load(f)
    except quiver_safe_unpickle.UnsafePickle as exc:
        raise Refusal(str(exc), "invalid_input") from exc
    except (ModuleNotFoundError, AttributeError) as exc:
        raise Refusal(f"{file_name} needs {exc} to load") from exc
    except Exception as exc:
        raise Refusal(f"{file_name} could not be unpickled: {exc}", "invalid_input") from exc


def load(path, file_name, framework, trusted):
    if framework == "sklearn" or is_pickle(path):
        return unpickle(path, file_name, trusted)
    import xgboost
    try:
        return xgboost.Booster(model_file=path)
    except xgboost.core.XGBoostError as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise Refusal(f"{file_name} is not a model file xgboost can read: {first}", "invalid_input") from exc


def describe(obj):
    """The model structure; raises Refusal for anything without a native conversion."""
    name = type(obj).__name__
    steps = []
    if name == "Pipeline":
        *pre, (_, final) = obj.steps
        for _, step in pre:
            if step is None or step == "passthrough":
                continue
            steps.append(scaler(step))
        obj, name = final, type(final).__name__
    if name == "Booster" and type(obj).__module__.startswith("xgboost"):
        model = xgboost_model(obj, "booster", 0, None)
    elif name in XGB_WRAPPERS:
        kind = "classifier" if "Classifier" in name else "regressor"
        end = getattr(obj, "best_iteration", None)
        classes = labels(obj._le.classes_) if hasattr(obj, "_le") else None
        model = xgboost_model(obj.get_booster(), kind, 0 if end is None else int(end) + 1, classes)
        model["n_classes"] = int(getattr(obj, "n_classes_", 0) or 0)
    elif name in TREE_CLASSES or name in FOREST_CLASSES or name in BOOSTING_CLASSES:
        model = sklearn_trees(obj, name)
    elif name in LINEAR_REGRESSORS or name in LINEAR_CLASSIFIERS:
        model = linear(obj, name)
    else:
        raise Refusal(f"{name} has no native conversion")
    model["estimator"] = name
    model["steps"] = steps
    return model


def scaler(step):
    name = type(step).__name__
    if name == "StandardScaler":
        return {"kind": "standard", "mean": None if step.mean_ is None or not step.with_mean else floats(step.mean_),
                "scale": None if step.scale_ is None or not step.with_std else floats(step.scale_)}
    if name == "MinMaxScaler":
        lo, hi = step.feature_range
        return {"kind": "minmax", "scale": floats(step.scale_), "min": floats(step.min_),
                "clip": bool(getattr(step, "clip", False)), "range": [float(lo), float(hi)]}
    raise Refusal(f"Pipeline step {name} has no native conversion")


def xgboost_model(booster, wrapper, iteration_end, classes):
    config = json.loads(booster.save_config())
    if config["learner"]["gradient_booster"]["name"] != "gbtree":
        raise Refusal(f"an xgboost {config['learner']['gradient_booster']['name']} booster has no native conversion")
    return {"kind": "xgboost", "wrapper": wrapper, "iteration_end": iteration_end, "classes": classes,
            "json": json.loads(bytes(booster.save_raw("json")).decode("utf-8"))}


def tree_arrays(tree, value):
    return {"feature": [int(v) for v in tree.feature], "threshold": floats(tree.threshold),
            "left": [int(v) for v in tree.children_left], "right": [int(v) for v in tree.children_right],
            "value": floats(value)}


def sklearn_trees(obj, name):
    if getattr(obj, "n_outputs_", 1) != 1:
        raise Refusal(f"{name} with {obj.n_outputs_} outputs has no native conversion")
    classifier = name.endswith("Classifier")
    classes = labels(obj.classes_) if classifier else None
    if name in BOOSTING_CLASSES:
        init = obj.init_
        if not (isinstance(init, str) and init == "zero") and type(init).__name__ not in ("DummyClassifier", "DummyRegressor"):
            raise Refusal(f"{name} with init estimator {type(init).__name__} has no native conversion")
        x0 = np.zeros((1, obj.n_features_in_), dtype=np.float32)
        k = obj.estimators_.shape[1]
        trees = [tree_arrays(obj.estimators_[i, j].tree_, obj.estimators_[i, j].tree_.value[:, 0, 0])
                 for i in range(obj.estimators_.shape[0]) for j in range(k)]
        return {"kind": "sklearn_trees", "ensemble": "boosting", "classifier": classifier, "classes": classes,
                "n_features": int(obj.n_features_in_), "groups": int(k), "trees": trees,
                "learning_rate": float(obj.learning_rate), "loss": type(obj._loss).__name__,
                "init": floats(obj._raw_predict_init(x0)[0])}
    members = obj.estimators_ if name in FOREST_CLASSES else [obj]
    trees = []
    for est in members:
        t = est.tree_
        trees.append(tree_arrays(t, t.value[:, 0, :] if classifier else t.value[:, 0, 0]))
    return {"kind": "sklearn_trees", "ensemble": "forest" if name in FOREST_CLASSES else "single",
            "classifier": classifier, "classes": classes, "n_features": int(obj.n_features_in_),
            "groups": len(classes) if classifier else 1, "trees": trees}


def linear(obj, name):
    coef = np.atleast_2d(np.asarray(obj.coef_, dtype=np.float64))
    intercept = np.atleast_1d(np.asarray(obj.intercept_, dtype=np.float64))
    classifier = name in LINEAR_CLASSIFIERS
    if not classifier and np.ndim(obj.coef_) == 2 and coef.shape[0] != 1:
        raise Refusal(f"{name} with {coef.shape[0]} targets has no native conversion")
    if intercept.size == 1 and coef.shape[0] > 1:
        intercept = np.repeat(intercept, coef.shape[0])
    proba = None
    if name.startswith("LogisticRegression"):
        multi = getattr(obj, "multi_class", "auto")
        solver = getattr(obj, "solver", "lbfgs")
        ovr = multi in ("ovr", "warn") or (multi == "auto" and (obj.classes_.size <= 2 or solver in ("liblinear", "newton-cholesky")))
        proba = "ovr" if ovr else "softmax"
    elif name == "SGDClassifier" and obj.loss in ("log_loss", "log"):
        proba = "ovr"
    return {"kind": "linear", "classifier": classifier, "classes": labels(obj.classes_) if classifier else None,
            "n_features": int(coef.shape[1]), "coef": [floats(row) for row in coef], "intercept": floats(intercept),
            "proba": proba, "scores_1d": bool(np.ndim(obj.coef_) == 1 or coef.shape[0] == 1)}


def reference(obj, framework, fields, x):
    """The outputs the Python worker would return for `x`."""
    import importlib
    if type(obj).__name__ == "Booster" and type(obj).__module__.startswith("xgboost"):
        xgboost = importlib.import_module("xgboost")
        objective = json.loads(obj.save_config())["learner"]["objective"]["name"]
        dm = xgboost.DMatrix(x)
        p = obj.predict(dm)
        out = {}
        for name in fields:
            if name == "scores":
                out[name] = obj.predict(dm, output_margin=True)
            elif objective == "binary:logistic":
                out[name] = np.column_stack([1 - p, p]) if name == "probabilities" else (p > 0.5).astype(np.int64)
            elif objective == "multi:softprob":
                out[name] = p if name == "probabilities" else np.argmax(p, axis=1)
            else:
                out[name] = p
        return out
    out = {}
    for name in fields:
        method = SKLEARN_OUTPUTS.get(name, "predict" if len(fields) == 1 else None)
        if method is None or not hasattr(obj, method):
            raise Refusal(f"{type(obj).__name__} cannot fill output field '{name}'", "invalid_input")
        out[name] = getattr(obj, method)(x)
    return out


def encode(value):
    arr = np.asarray(value)
    if arr.dtype.kind in "fiub":
        data = np.ascontiguousarray(arr, dtype="<f8")
        return {"shape": list(arr.shape), "f8": base64.b64encode(data.tobytes()).decode("ascii")}
    return {"shape": list(arr.shape), "labels": labels(arr)}


def main():
    path, file_name, framework, fields = sys.argv[1:5]
    reference_only = "--reference-only" in sys.argv[5:]
    trusted = "--trusted" in sys.argv[5:]
    fields = [f for f in fields.split(",") if f]
    try:
        obj = load(path, file_name, framework, trusted)
        model = {} if reference_only else describe(obj)
    except Refusal as exc:
        emit({"ok": False, "code": exc.code, "message": str(exc)})
        return
    import importlib
    lib = "xgboost" if type(obj).__module__.startswith("xgboost") or model.get("kind") == "xgboost" else "sklearn"
    model["library"] = lib
    model["library_version"] = str(importlib.import_module(lib).__version__)
    emit({"ok": True, "model": model})
    line = sys.stdin.readline()
    if not line.strip():
        return
    batch = json.loads(line)
    x = np.frombuffer(base64.b64decode(batch["x"]), dtype="<f8").reshape(batch["rows"], batch["features"])
    x = x.astype(batch.get("dtype", "float64"))
    try:
        outputs = reference(obj, framework, fields, x)
    except Refusal as exc:
        emit({"ok": False, "code": exc.code, "message": str(exc)})
        return
    except Exception as exc:
        emit({"ok": False, "code": "runtime_failure", "message": f"{type(exc).__name__}: {exc}"})
        return
    emit({"ok": True, "outputs": {name: encode(v) for name, v in outputs.items()}})


if __name__ == "__main__":
    main()
