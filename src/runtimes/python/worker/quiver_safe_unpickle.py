"""Loads an untrusted pickle or joblib file with a restricted unpickler.

The second check of a model pickle (the first is pickle-scan.ts, before the file reaches Python):
globals are resolved only when their exact (module, qualname) pair is in safe_globals.json, the
list the scanner uses; only listed callables are called (REDUCE), nothing sets attributes on a
class or function (BUILD), joblib array wrappers must describe an array embedded in the same file,
and the nested pickles of joblib object arrays go through the same checks.
"""
import _compat_pickle
import importlib
import json
import os
import pickle
import sys
import types

_LIST_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "safe_globals.json")
_WRAPPER_KEYS = {"subclass", "shape", "order", "dtype", "allow_mmap", "numpy_array_alignment_bytes"}
_uses = None


class UnsafePickle(pickle.UnpicklingError):
    """A global or operation outside the safe list; the message says which and mentions --trust."""


def _safe_uses():
    global _uses
    if _uses is None:
        with open(_LIST_FILE, encoding="utf-8") as f:
            doc = json.load(f)
        _uses = {(m, n): use for use in ("new", "call") for m, names in doc[use].items() for n in names}
    return _uses


def _resolve(module, qualname):
    importlib.import_module(module)  # only ever reached for a listed module
    obj = sys.modules[module]
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


class _Checks:
    """Mixed into pure-Python unpicklers (pickle._Unpickler and joblib's subclass of it)."""
    file_name = "model"

    def _refuse(self, what):
        raise UnsafePickle(f"{self.file_name} {what}; upload with --trust to load it anyway")

    def find_class(self, module, name):
        if self.proto < 3 and self.fix_imports:
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        use = _safe_uses().get((module, name))
        if use is None:
            self._refuse(f"imports {module}.{name}, which is not on the safe list")
        obj = _resolve(module, name)
        self._listed[id(obj)] = (use, f"{module}.{name}", obj)
        return obj

    def _use_of(self, obj):
        entry = self._listed.get(id(obj))
        return entry if entry is not None and entry[2] is obj else None

    def _checked_reduce(self):
        func = self.stack[-2]
        entry = self._use_of(func)
        if entry is None:
            self._refuse("calls something that is not an imported global")
        if entry[0] != "call":
            self._refuse(f"calls {entry[1]} with its constructor, which may only be created without it")
        pickle._Unpickler.load_reduce(self)

    def _check_build_target(self):
        target = self.stack[-2]
        entry = self._use_of(target)
        if entry is not None:
            self._refuse(f"sets attributes on {entry[1]} itself")
        return target

    def _instantiate(self, klass, args):  # INST and OBJ run the constructor
        entry = self._use_of(klass)
        if entry is None or entry[0] != "call":
            self._refuse(f"calls {entry[1] if entry else 'something that is not an imported global'} with its constructor")
        return pickle._Unpickler._instantiate(self, klass, args)

    def _checked_newobj(self):
        if self._use_of(self.stack[-2]) is None:
            self._refuse("creates an object of something that is not an imported class")
        pickle._Unpickler.load_newobj(self)

    def _checked_newobj_ex(self):
        if self._use_of(self.stack[-3]) is None:
            self._refuse("creates an object of something that is not an imported class")
        pickle._Unpickler.load_newobj_ex(self)

    def _checked_build(self):
        self._check_build_target()
        pickle._Unpickler.load_build(self)


class _PlainUnpickler(_Checks, pickle._Unpickler):
    dispatch = pickle._Unpickler.dispatch.copy()
    dispatch[pickle.REDUCE[0]] = _Checks._checked_reduce
    dispatch[pickle.NEWOBJ[0]] = _Checks._checked_newobj
    dispatch[pickle.NEWOBJ_EX[0]] = _Checks._checked_newobj_ex
    dispatch[pickle.BUILD[0]] = _Checks._checked_build

    def __init__(self, file, file_name):
        super().__init__(file)
        self.file_name = file_name
        self._listed = {}


def _joblib_unpickler(file_name):
    import numpy as np
    from joblib import numpy_pickle

    class Unpickler(_Checks, numpy_pickle.NumpyUnpickler):
        dispatch = numpy_pickle.NumpyUnpickler.dispatch.copy()
        dispatch[pickle.REDUCE[0]] = _Checks._checked_reduce
        dispatch[pickle.NEWOBJ[0]] = _Checks._checked_newobj
        dispatch[pickle.NEWOBJ_EX[0]] = _Checks._checked_newobj_ex

        def __init__(self, filename, file_handle):
            super().__init__(filename, file_handle, mmap_mode=None)
            self.file_name = file_name
            self._listed = {}

        def _checked_joblib_build(self):
            target = self._check_build_target()
            if isinstance(target, numpy_pickle.NumpyArrayWrapper):
                state = self.stack[-1]
                extra = set(state) - _WRAPPER_KEYS if isinstance(state, dict) else {"a non-dict state"}
                if extra:
                    self._refuse(f"holds a joblib array wrapper with attributes {sorted(map(str, extra))}; "
                                 "a wrapper may only describe an array embedded in this same file")
                if state.get("subclass") is not np.ndarray:
                    self._refuse("holds a joblib array wrapper of something other than numpy.ndarray")
            numpy_pickle.NumpyUnpickler.load_build(self)

        dispatch[pickle.BUILD[0]] = _checked_joblib_build

    return Unpickler, numpy_pickle


def load(path, file_name):
    """The object in a pickle or joblib file, refusing anything off the safe list (UnsafePickle)."""
    try:
        Unpickler, numpy_pickle = _joblib_unpickler(file_name)
    except ImportError:
        with open(path, "rb") as f:
            obj = _PlainUnpickler(f, file_name).load()
            if f.read(1):
                raise UnsafePickle(f"{file_name} has bytes after the end of its pickle; upload with --trust to load it anyway")
            return obj
    # joblib's object arrays are nested pickles read with the pickle module's load: route them here too.
    guarded = types.ModuleType("pickle")
    guarded.__dict__.update(pickle.__dict__)
    guarded.load = lambda f, **_: _PlainUnpickler(f, file_name).load()
    original = numpy_pickle.pickle
    numpy_pickle.pickle = guarded
    try:
        with open(path, "rb") as f:
            with numpy_pickle._read_fileobject(f, path, None) as fobj:
                if isinstance(fobj, str):
                    raise UnsafePickle(f"{file_name} is in joblib's old multi-file format, which loads other files by name; "
                                       "upload with --trust to load it anyway")
                obj = Unpickler(path, fobj).load()
                if fobj.read(1):
                    raise UnsafePickle(f"{file_name} has bytes after the end of its pickle; upload with --trust to load it anyway")
                return obj
    finally:
        numpy_pickle.pickle = original
