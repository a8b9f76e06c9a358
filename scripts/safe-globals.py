"""Writes src/runtimes/python/worker/safe_globals.json: the exact (module, qualname) pairs a model
pickle may import without --trust. Both the TypeScript scanner and the worker's restricted
unpickler read that file, so the check runs twice from one list.

Run with the interpreter whose libraries the list should cover:
    /usr/bin/python3 scripts/safe-globals.py

"call" names may be called with any arguments the pickle supplies (REDUCE, OBJ, INST): classes of
sklearn, xgboost, scipy.sparse and numpy whose constructors only build objects, plus reconstructor
functions. "new" names may only be created without running their constructor (NEWOBJ,
copyreg.__newobj__, copyreg._reconstructor), because their constructor reads files.
Nothing here may write or read files, import modules, look up attributes by name or run code.
"""
import _compat_pickle
import importlib
import inspect
import json
import pathlib
import pkgutil
import re
import sys
import warnings

OUT = pathlib.Path(__file__).resolve().parent.parent / "src/runtimes/python/worker/safe_globals.json"

# Modules whose classes are never needed to rebuild a model and which touch files, processes,
# the network, or run code: testing helpers, dataset downloaders, I/O, parallel back ends.
SKIP_MODULES = re.compile(
    r"(^|\.)(tests?|_testing|testing|conftest|_build_utils|__check_build|externals|datasets|_show_versions|"
    r"_min_dependencies|io|_io|f2py|distutils|ctypeslib|npyio|_npyio_impl|format|_datasource|utils\._joblib|"
    r"parallel|_parallel_backends|_openmp_helpers|_config|_lib\._testutils|dask|spark|tracker|rabit|collective|"
    r"libpath|callback|federated|_fast_dict|plotting|_plot|display|_estimator_html_repr|_array_api|"
    r"experimental|_pytesttester|lib\.utils|_utils_impl|compat|_internal|memmap|_memmapping|pickle|numpy_pickle\w*|"
    r"_typing|typing|_distributor_init|_mocking|estimator_checks|_export|_available_if|deprecation|_pprint|linalg|csgraph)($|\.)"
)
# Class names whose constructors open files, start processes or threads, or load code.
SKIP_CLASS = re.compile(r"(Memmap|memmap|Memory|Parallel|Pool|Thread|Process|Executor|Loader|Writer|Reader|"
                        r"File|Path|DataSource|DataIter|DMatrix|QuantileDMatrix|Tracker|Callback|CheckPoint|"
                        r"Logger|Monitor|Printer|Test|Mock|Dask|Spark|Plot|Display)")
# Cython's pickle reconstructors: they only call their own class's __new__ and set its state.
RECONSTRUCTOR_FUNCTION = re.compile(r"^(__pyx_unpickle_\w+|newObj)$")

PACKAGES = ["sklearn", "xgboost", "scipy.sparse"]

# Reconstructors and value types that model pickles reference, checked by hand.
CALL_EXTRA = {
    "builtins": ["set", "frozenset", "slice", "complex", "bytearray", "object", "bytes", "range", "float",
                 "int", "bool", "str", "list", "tuple", "dict"],
    "copyreg": ["_reconstructor", "__newobj__", "__newobj_ex__"],
    "_codecs": ["encode"],
    "collections": ["OrderedDict", "defaultdict", "deque", "Counter"],
    "numpy": ["ndarray", "dtype", "bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
              "uint64", "float16", "float32", "float64", "longdouble", "complex64", "complex128", "str_", "bytes_",
              "object_", "void", "datetime64", "timedelta64", "generic", "number", "integer", "floating"],
    # numpy 1.x and 2.x spell these modules differently; pickles from either may arrive.
    "numpy.core.multiarray": ["_reconstruct", "scalar"],
    "numpy._core.multiarray": ["_reconstruct", "scalar"],
    "numpy.core.numeric": ["_frombuffer"],
    "numpy._core.numeric": ["_frombuffer"],
    "numpy.ma.core": ["_mareconstruct", "MaskedArray"],
    "numpy.random._pickle": ["__randomstate_ctor", "__bit_generator_ctor", "__generator_ctor"],
    "numpy.random.mtrand": ["RandomState"],
    "numpy.random._generator": ["Generator"],
    "numpy.random._mt19937": ["MT19937"],
    "numpy.random._pcg64": ["PCG64", "PCG64DXSM"],
    "numpy.random._philox": ["Philox"],
    "numpy.random._sfc64": ["SFC64"],
    "numpy.random.bit_generator": ["SeedSequence"],
    "torch._utils": ["_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_parameter", "_rebuild_qtensor"],
    "torch": ["Size", "FloatStorage", "DoubleStorage", "HalfStorage", "LongStorage", "IntStorage", "ShortStorage",
              "CharStorage", "ByteStorage", "BoolStorage", "BFloat16Storage", "float32", "float64", "float16",
              "int64", "int32", "int16", "int8", "uint8", "bool", "bfloat16"],
    "joblib.numpy_pickle": ["NumpyArrayWrapper"],
}
# Constructors that read files (xgboost.Booster(model_file=...)); their pickles use NEWOBJ.
NEW_ONLY = {"xgboost.core": ["Booster"]}
# Allowed modules' functions that must never be listed, whatever the walk finds: they write files,
# import modules, look attributes up by name or evaluate code.
NEVER = re.compile(r"(^|\.)(dump|dumps|save|savez|savez_compressed|save_npz|load|loads|load_npz|savetxt|loadtxt|"
                   r"tofile|fromfile|memmap|open|system|popen|eval|exec|compile|getattr|setattr|delattr|attrgetter|"
                   r"itemgetter|methodcaller|import_module|__import__|_ufunc_reconstruct|run|call|apply)$")


def walk(package):
    root = importlib.import_module(package)
    yield root
    if not hasattr(root, "__path__"):
        return
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        if SKIP_MODULES.search(info.name[len(package):]):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield importlib.import_module(info.name)
        except Exception:  # optional dependencies missing; those modules cannot be in a pickle here either
            continue


def classes(package):
    out = {}
    for module in walk(package):
        for name, value in list(vars(module).items()):
            if RECONSTRUCTOR_FUNCTION.match(name) and callable(value) and not inspect.isclass(value):
                out.setdefault(module.__name__, set()).add(name)
                continue
            if not inspect.isclass(value) or value.__module__ != module.__name__:
                continue
            if SKIP_CLASS.search(value.__qualname__) or issubclass(value, BaseException):
                continue
            if "<" in value.__qualname__ or NEVER.search(value.__qualname__):
                continue
            out.setdefault(value.__module__, set()).add(value.__qualname__)
    return out


def ufuncs():
    import numpy as np
    names = sorted(n for n, v in vars(np).items() if isinstance(v, np.ufunc))
    # numpy pickles a ufunc by name; where it is found depends on the numpy version.
    return {"numpy": set(names), "numpy.core._multiarray_umath": set(names), "numpy._core._multiarray_umath": set(names)}


def main():
    call = {}
    for part in [*(classes(p) for p in PACKAGES), ufuncs(), {m: set(n) for m, n in CALL_EXTRA.items()}]:
        for module, names in part.items():
            call.setdefault(module, set()).update(names)
    for module, names in NEW_ONLY.items():
        call.get(module, set()).difference_update(names)
    for module in list(call):
        call[module] = {n for n in call[module] if not NEVER.search(n)}
        if not call[module]:
            del call[module]
    versions = {m: importlib.import_module(m).__version__ for m in ["numpy", "scipy", "sklearn", "xgboost", "torch"]}
    doc = {
        "generated_by": "scripts/safe-globals.py",
        "libraries": versions,
        "call": {m: sorted(n) for m, n in sorted(call.items())},
        "new": {m: sorted(n) for m, n in sorted(NEW_ONLY.items())},
        # How protocol 0-2 pickles' Python 2 names are renamed on load (pickle's fix_imports).
        "py2_names": {f"{m}.{n}": ".".join(to) for (m, n), to in sorted(_compat_pickle.NAME_MAPPING.items())},
        "py2_modules": dict(sorted(_compat_pickle.IMPORT_MAPPING.items())),
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    count = sum(len(n) for n in call.values())
    print(f"wrote {OUT} ({count} callable names in {len(call)} modules)", file=sys.stderr)


if __name__ == "__main__":
    main()
