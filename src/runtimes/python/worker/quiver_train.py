"""Runs a user's trainer: `train(X, y, config)` -> a fitted model, serialized for upload.

Usage: quiver_train.py TRAINER WORKDIR. WORKDIR holds spec.json (features, label, config),
X_train.npy / X_valid.npy (float64, rows x features) and y_train.json / y_valid.json. Writes the
model file and result.json (framework, file, output schema, classes, library versions, the
model's answers on the validation rows) into WORKDIR, or result.json with an "error" and exit 1.
"""
import importlib.util
import json
import os
import pickle
import platform
import sys
import traceback


def _versions():
    out = {"python": platform.python_version()}
    for name, key in (("numpy", "numpy"), ("pandas", "pandas"), ("sklearn", "scikit-learn"), ("xgboost", "xgboost"),
                      ("torch", "torch"), ("scipy", "scipy")):
        mod = sys.modules.get(name)
        if mod is not None:
            out[key] = str(getattr(mod, "__version__", "unknown"))
    return out


def _fail(workdir, message, code=1):
    with open(os.path.join(workdir, "result.json"), "w") as f:
        json.dump({"error": message}, f)
    sys.exit(code)


def _label_type(classes):
    import numpy as np
    if classes.dtype.kind in "iub":
        return "int64"
    if classes.dtype.kind == "f":
        return "float64"
    return "string"


def _plain(values):
    import numpy as np
    arr = np.asarray(values)
    if arr.dtype.kind in "iub":
        return [int(v) for v in arr]
    if arr.dtype.kind == "f":
        return [float(v) for v in arr]
    return [str(v) for v in arr]


def main():
    trainer, workdir = sys.argv[1], sys.argv[2]
    import numpy as np
    import pandas as pd
    with open(os.path.join(workdir, "spec.json")) as f:
        spec = json.load(f)
    features = spec["features"]
    X = pd.DataFrame(np.load(os.path.join(workdir, "X_train.npy")), columns=features)
    X_valid = pd.DataFrame(np.load(os.path.join(workdir, "X_valid.npy")), columns=features)
    y = None
    if spec.get("label"):
        with open(os.path.join(workdir, "y_train.json")) as f:
            y = pd.Series(json.load(f), name=spec["label"])
    try:
        loader = importlib.util.spec_from_file_location("quiver_user_trainer", trainer)
        module = importlib.util.module_from_spec(loader)
        loader.loader.exec_module(module)
        if not callable(getattr(module, "train", None)):
            _fail(workdir, f"{os.path.basename(trainer)} defines no train(X, y, config) function")
        model = module.train(X, y, dict(spec.get("config", {})))
    except SystemExit:
        raise
    except BaseException as exc:
        sys.stderr.write(traceback.format_exc())
        _fail(workdir, f"{type(exc).__name__}: {exc}")
    result = {"library_versions": _versions(), "n_features": len(features)}
    kind = type(model).__module__.split(".")[0]
    try:
        import torch
        is_script = isinstance(model, torch.jit.ScriptModule)
    except ImportError:
        is_script = False
    if is_script:
        path = os.path.join(workdir, "model.pt")
        torch.jit.save(model, path)
        with torch.no_grad():
            out = model(torch.tensor(X_valid.to_numpy(), dtype=torch.float32)).numpy()
        width = int(out.shape[1]) if out.ndim == 2 else 1
        result.update(framework="pytorch", file="model.pt", input_name="input", input_item="float32",
                      output_schema=[{"name": "output", "type": {"list": "float32", "size": width}, "nullable": False}],
                      validation={"scores": out.reshape(len(X_valid), -1).tolist()})
    elif kind in ("sklearn", "xgboost") and hasattr(model, "predict"):
        framework = "xgboost" if kind == "xgboost" else "sklearn"
        path = os.path.join(workdir, "model.pkl")
        try:
            with open(path, "wb") as f:
                pickle.dump(model, f, protocol=4)
        except Exception as exc:
            _fail(workdir, f"train() returned a {type(model).__name__} that cannot be pickled: {exc}")
        matrix = X_valid
        schema = []
        validation = {}
        if hasattr(model, "classes_") and hasattr(model, "predict_proba"):
            classes = np.asarray(model.classes_)
            schema.append({"name": "predictions", "type": _label_type(classes), "nullable": False})
            schema.append({"name": "probabilities", "type": {"list": "float64", "size": int(len(classes))}, "nullable": False})
            result["classes"] = _plain(classes)
            if len(matrix):
                validation["probabilities"] = np.asarray(model.predict_proba(matrix), dtype=np.float64).tolist()
        else:
            schema.append({"name": "predictions", "type": "float64", "nullable": False})
        if len(matrix):
            validation["predictions"] = _plain(model.predict(matrix))
        result.update(framework=framework, file="model.pkl", input_name="inputs", input_item="float64",
                      output_schema=schema, validation=validation)
    else:
        _fail(workdir, f"train() returned {type(model).__module__}.{type(model).__name__}, which Quiver cannot serialize: "
                       "expected a fitted scikit-learn estimator, an XGBoost model or a TorchScript module")
    with open(os.path.join(workdir, "result.json"), "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
