"""The bring-your-own-predict contract for framework `custom` (see docs/runtimes/python.md).

A model zip's root holds one .py file with exactly one `InferenceBuilder` subclass. Quiver calls
`Builder().create(config)` once per worker; it returns an `Inference` whose
`predict(input_data: dict[str, np.ndarray]) -> dict[str, np.ndarray]` serves every request.
Code written for Wallaroo's `mac` package imports unchanged: `mac.inference.Inference`,
`mac.inference.creation.InferenceBuilder`, `mac.config.inference.CustomInferenceConfig` and
`mac.types.InferenceData` resolve to the classes below when `mac` itself is not installed.
"""
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict

import numpy as np

from quiver_wire import QuiverError

InferenceData = Dict[str, np.ndarray]


@dataclass
class CustomInferenceConfig:
    """What `create` receives: `model_path` is the folder the zip was extracted to."""
    model_path: Path
    metadata: Dict[str, Any] = field(default_factory=dict)
    framework: str = "custom"
    model_name: str = ""


class Inference:
    """Base class for a loaded custom model. Override `expected_model_types` and `predict`."""

    def __init__(self):
        self._model = None

    @property
    def expected_model_types(self):
        return set()

    @property
    def model(self):
        return self._model

    @model.setter
    def model(self, model):
        self._model = model
        check_model_type(self)

    def predict(self, input_data):
        return self._predict(input_data)

    def _predict(self, input_data):
        raise NotImplementedError("Inference subclasses implement predict(input_data)")


class InferenceBuilder:
    """Base class for the builder: `create(config)` loads artifacts and returns an Inference."""

    @property
    def inference(self):
        raise NotImplementedError

    def create(self, config):
        raise NotImplementedError


def is_builder(cls):
    if cls is InferenceBuilder:
        return False
    if issubclass(cls, InferenceBuilder):
        return True
    # Duck-typed builders (for instance subclasses of Wallaroo's own mac package).
    return any(base.__name__ == "InferenceBuilder" for base in cls.__mro__[1:]) and callable(getattr(cls, "create", None))


def check_model_type(inference):
    expected = getattr(inference, "expected_model_types", None) or set()
    model = getattr(inference, "_model", getattr(inference, "model", None))
    if expected and model is not None and not isinstance(model, tuple(expected)):
        names = ", ".join(sorted(t.__name__ for t in expected))
        raise QuiverError(f"{type(inference).__name__} expects a model of type {names}, got {type(model).__name__}",
                          code="invalid_input")


def install_aliases():
    try:
        import mac  # noqa: F401  (the real package wins)
        return
    except ImportError:
        pass
    names = {
        "mac": {}, "mac.inference": {"Inference": Inference},
        "mac.inference.creation": {"InferenceBuilder": InferenceBuilder},
        "mac.config": {}, "mac.config.inference": {"CustomInferenceConfig": CustomInferenceConfig},
        "mac.types": {"InferenceData": InferenceData},
    }
    for name, attrs in names.items():
        module = types.ModuleType(name)
        module.__dict__.update(attrs)
        module.__path__ = []
        sys.modules[name] = module
    for name in names:
        if "." in name:
            parent, child = name.rsplit(".", 1)
            setattr(sys.modules[parent], child, sys.modules[name])
