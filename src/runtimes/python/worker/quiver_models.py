"""Framework adapters: each turns a load request into an object with `infer(inputs, rows) -> dict`."""
import importlib.util
import json
import os
import sys
import zipfile

import numpy as np

import quiver_safe_unpickle
from quiver_wire import QuiverError

SKLEARN_OUTPUTS = {
    "predictions": "predict",
    "probabilities": "predict_proba",
    "transform": "transform",
    "scores": "decision_function",
    "labels": "predict",
}


def load(request):
    framework = request["framework"]
    loader = {"sklearn": SklearnModel.load, "xgboost": load_xgboost, "pytorch": TorchModel.load,
              "python": StepModel.load, "custom": CustomModel.load}.get(framework)
    if loader is None:
        raise QuiverError(f"the python worker does not serve framework '{framework}'", code="unsupported")
    return loader(request)


def _is_pickle(path):
    with open(path, "rb") as f:
        head = f.read(6)
    # Pickle protocol 2+ or a compressed joblib container.
    return head[:1] == b"\x80" or head[:1] == b"\x78" or head[:2] == b"\x1f\x8b" or head[:2] == b"BZ" \
        or head[:6] == b"\xfd7zXZ\x00" or head[:2] == b"\x5d\x00"


def _unpickle(request):
    path = request["path"]
    try:
        if not request.get("trusted"):
            return quiver_safe_unpickle.load(path, request["file_name"])
        import joblib
        return joblib.load(path)
    except ImportError:
        import pickle
        with open(path, "rb") as f:
            return pickle.load(f)
    except quiver_safe_unpickle.UnsafePickle as exc:
        raise QuiverError(str(exc), code="invalid_input") from exc
    except (ModuleNotFoundError, AttributeError) as exc:
        raise QuiverError(f"{request['file_name']} needs {exc} to load; the worker cannot import it",
                          code="unsupported") from exc
    except Exception as exc:
        raise QuiverError(f"{request['file_name']} could not be unpickled: {exc}", code="invalid_input") from exc


def _feature_matrix(inputs, fields, feature_names=None):
    """One list field → its (rows, n) array; several scalar fields → columns stacked in order."""
    arrays = [np.ma.filled(inputs[f["name"]].astype(np.float64), np.nan)
              if isinstance(inputs[f["name"]], np.ma.MaskedArray) else inputs[f["name"]] for f in fields]
    if len(arrays) == 1 and arrays[0].ndim == 2:
        matrix = arrays[0]
    elif all(a.ndim == 1 for a in arrays):
        if feature_names is not None and sorted(feature_names) == sorted(f["name"] for f in fields):
            import pandas as pd
            return pd.DataFrame({name: inputs[name] for name in feature_names})
        matrix = np.column_stack(arrays)
    else:
        raise QuiverError("the input must be one fixed-size list field of features or several scalar fields",
                          code="invalid_input")
    return matrix


class SklearnModel:
    def __init__(self, estimator, request):
        self.estimator = estimator
        self.inputs = request["input_fields"]
        self.outputs = request["output_fields"]
        self.methods = {}
        kind = type(estimator).__name__
        for f in self.outputs:
            name = f["name"]
            method = SKLEARN_OUTPUTS.get(name)
            if method is None and len(self.outputs) == 1:
                method = "predict"
            if method is None:
                raise QuiverError(
                    f"output field '{name}' is not one of {', '.join(SKLEARN_OUTPUTS)}, so Quiver does not know "
                    f"which method of {kind} fills it", code="invalid_input", field=name)
            if name == "labels" and not hasattr(estimator, "predict"):
                method = "fit_predict"
            if not hasattr(estimator, method):
                raise QuiverError(f"{kind} has no {method}(), which output field '{name}' needs",
                                  code="invalid_input", field=name)
            self.methods[name] = method
        width = self._width()
        expected = getattr(estimator, "n_features_in_", None)
        if width is not None and expected is not None and width != expected:
            raise QuiverError(f"the input has {width} features per row but {kind} was trained on {expected}",
                              code="invalid_input", field=self.inputs[0]["name"])

    @classmethod
    def load(cls, request):
        return cls(_unpickle(request), request)

    def _width(self):
        if len(self.inputs) == 1 and len(self.inputs[0]["dims"]) == 1:
            return self.inputs[0]["dims"][0]
        if all(not f["dims"] and not f["variable"] for f in self.inputs):
            return len(self.inputs)
        return None

    def infer(self, inputs, rows):
        names = getattr(self.estimator, "feature_names_in_", None)
        x = _feature_matrix(inputs, self.inputs, None if names is None else list(names))
        cache = {}
        out = {}
        for name, method in self.methods.items():
            if method not in cache:
                cache[method] = getattr(self.estimator, method)(x)
            out[name] = cache[method]
        return out


def load_xgboost(request):
    import xgboost
    if _is_pickle(request["path"]):
        obj = _unpickle(request)
        if isinstance(obj, xgboost.Booster):
            return BoosterModel(obj, request)
        return SklearnModel(obj, request)
    try:
        booster = xgboost.Booster(model_file=request["path"])
    except xgboost.core.XGBoostError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise QuiverError(f"{request['file_name']} is not a model file xgboost can read: {first}",
                          code="invalid_input") from exc
    return BoosterModel(booster, request)


class BoosterModel:
    def __init__(self, booster, request):
        self.booster = booster
        self.inputs = request["input_fields"]
        self.outputs = [f["name"] for f in request["output_fields"]]
        config = json.loads(booster.save_config())
        self.objective = config["learner"]["objective"]["name"]
        known = {"predictions", "probabilities", "scores"}
        for name in self.outputs:
            if name not in known and len(self.outputs) > 1:
                raise QuiverError(f"output field '{name}' is not one of {', '.join(sorted(known))}",
                                  code="invalid_input", field=name)
        if "probabilities" in self.outputs and not self.objective.startswith(("binary:logistic", "multi:softprob")):
            raise QuiverError(f"output field 'probabilities' needs a classifier, but the booster's objective is "
                              f"{self.objective}", code="invalid_input", field="probabilities")

    def infer(self, inputs, rows):
        import xgboost
        x = _feature_matrix(inputs, self.inputs)
        names = self.booster.feature_names
        dm = xgboost.DMatrix(x, feature_names=names if names and len(names) == x.shape[1] else None)
        p = self.booster.predict(dm)
        out = {}
        for name in self.outputs:
            if name == "scores":
                out[name] = self.booster.predict(dm, output_margin=True)
            elif self.objective == "binary:logistic":
                out[name] = np.column_stack([1 - p, p]) if name == "probabilities" else (p > 0.5).astype(np.int64)
            elif self.objective == "multi:softprob":
                out[name] = p if name == "probabilities" else np.argmax(p, axis=1)
            else:
                out[name] = p
        return out


class TorchModel:
    def __init__(self, module, request):
        self.module = module
        self.inputs = request["input_fields"]
        self.outputs = request["output_fields"]

    @classmethod
    def load(cls, request):
        import torch
        path, file_name = request["path"], request["file_name"]
        if zipfile.is_zipfile(path):
            names = zipfile.ZipFile(path).namelist()
            if not any(n.endswith("/constants.pkl") or n == "constants.pkl" for n in names):
                raise QuiverError(f"{file_name} is a state_dict, not TorchScript; save the model with "
                                  "torch.jit.script/trace and torch.jit.save", code="invalid_input")
        try:
            module = torch.jit.load(path, map_location="cpu")
        except RuntimeError as exc:
            raise QuiverError(f"{file_name} is not TorchScript that torch.jit.load can read "
                              f"({str(exc).strip().splitlines()[0]}); save the model with torch.jit.script/trace "
                              "and torch.jit.save", code="invalid_input") from exc
        module.eval()
        return cls(module, request)

    def infer(self, inputs, rows):
        import torch
        tensors = []
        for f in self.inputs:
            arr = inputs[f["name"]]
            if isinstance(arr, np.ma.MaskedArray) or arr.dtype == object:
                raise QuiverError(f"input field '{f['name']}' has nulls or ragged rows, which a TorchScript model "
                                  "cannot take", code="invalid_input", field=f["name"])
            tensors.append(torch.from_numpy(arr))
        with torch.no_grad():
            result = self.module(*tensors)
        if isinstance(result, dict):
            return result
        if not isinstance(result, (list, tuple)):
            result = [result]
        if len(result) != len(self.outputs):
            raise QuiverError(f"the model returned {len(result)} outputs but the output schema has "
                              f"{len(self.outputs)} fields ({', '.join(f['name'] for f in self.outputs)})")
        return {f["name"]: r for f, r in zip(self.outputs, result)}


def _import_script(path, module_name):
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    os.chdir(folder)
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


class StepModel:
    def __init__(self, fn):
        self.fn = fn

    @classmethod
    def load(cls, request):
        module = _import_script(request["entry"], f"quiver_step_{abs(hash(request['model']))}")
        fn = getattr(module, "process_data", None)
        if not callable(fn):
            raise QuiverError(f"{os.path.basename(request['entry'])} defines no function process_data(input_data)",
                              code="invalid_input")
        return cls(fn)

    def infer(self, inputs, rows):
        return self.fn(inputs)


class CustomModel:
    def __init__(self, inference):
        self.inference = inference
        self.predict = getattr(inference, "predict", None) or getattr(inference, "_predict")

    @classmethod
    def load(cls, request):
        import pathlib
        import quiver_custom
        quiver_custom.install_aliases()
        entry = request["entry"]
        module = _import_script(entry, f"quiver_custom_{abs(hash(request['model']))}")
        builders = [v for v in vars(module).values()
                    if isinstance(v, type) and v.__module__ == module.__name__ and quiver_custom.is_builder(v)]
        if len(builders) != 1:
            found = ", ".join(b.__name__ for b in builders) or "none"
            raise QuiverError(f"{os.path.basename(entry)} must define exactly one InferenceBuilder subclass "
                              f"(found {found})", code="invalid_input")
        config = quiver_custom.CustomInferenceConfig(
            model_path=pathlib.Path(os.path.dirname(entry)), metadata=request.get("metadata") or {},
            framework="custom", model_name=request.get("name", ""))
        inference = builders[0]().create(config)
        quiver_custom.check_model_type(inference)
        if not callable(getattr(inference, "predict", None) or getattr(inference, "_predict", None)):
            raise QuiverError(f"{builders[0].__name__}.create() returned {type(inference).__name__}, which has no "
                              "predict(input_data)", code="invalid_input")
        return cls(inference)

    def infer(self, inputs, rows):
        return self.predict(inputs)
