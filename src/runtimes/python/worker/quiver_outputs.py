"""Checks a model's outputs against the output schema and lays them out as wire columns."""
import numpy as np

from quiver_wire import NUMPY_DTYPES, QuiverError


def encode_outputs(result, fields, rows):
    """`result`: mapping field name → array-like. Returns (columns, buffers) for write_frame."""
    if hasattr(result, "to_dict") and hasattr(result, "columns"):  # a pandas DataFrame
        result = {name: result[name].to_numpy() for name in result.columns}
    if not isinstance(result, dict):
        raise QuiverError(
            f"the model returned {type(result).__name__}, expected a dict of numpy arrays keyed by output field")
    missing = [f["name"] for f in fields if f["name"] not in result]
    if missing:
        raise QuiverError(
            f"output field '{missing[0]}' is missing from the model's result, which has "
            f"{', '.join(repr(k) for k in result) or 'no fields'}", field=missing[0])
    columns, buffers = [], []
    for f in fields:
        _encode(f, result[f["name"]], rows, columns, buffers)
    return columns, buffers


def _fail(field, message):
    raise QuiverError(f"output field '{field['name']}' {message}", field=field["name"])


def _split_mask(value):
    if isinstance(value, np.ma.MaskedArray):
        mask = np.ma.getmaskarray(value)
        return np.ma.getdata(value), mask.reshape(mask.shape[0], -1).any(axis=1) if mask.ndim > 1 else mask
    return value, None


def _as_array(field, value, rows):
    try:
        if hasattr(value, "detach"):  # a torch tensor
            value = value.detach().cpu().numpy()
        elif hasattr(value, "to_numpy"):  # a pandas Series
            value = value.to_numpy()
        arr = value if isinstance(value, np.ndarray) else np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        _fail(field, f"could not be read as an array ({exc})")
    if arr.ndim == 0:
        _fail(field, f"is a single value; expected {rows} rows, one per input row")
    if arr.shape[0] != rows:
        _fail(field, f"has {arr.shape[0]} rows, expected {rows} (one per input row)")
    return arr


def _encode(field, value, rows, columns, buffers):
    value, mask = _split_mask(value)
    arr = _as_array(field, value, rows)
    dtype = field["dtype"]
    col = {"name": field["name"], "dtype": dtype}
    if arr.dtype == object:
        nulls = np.fromiter((v is None for v in arr.reshape(rows, -1)[:, 0]), bool, rows) if rows else np.zeros(0, bool)
        mask = nulls if mask is None else (mask | nulls)
    if mask is not None and mask.any():
        if not field["nullable"]:
            _fail(field, f"has a null at row {int(np.argmax(mask))} but the output schema says it is not nullable")
    else:
        mask = None
    if dtype in ("string", "binary"):
        data, offsets = _encode_strings(field, arr, mask)
        col["shape"] = [rows]
        col["data"], col["offsets"] = {}, {}
        buffers += [(col["data"], data), (col["offsets"], offsets)]
    elif field["variable"]:
        flat, offsets = _encode_ragged(field, arr, mask)
        col["shape"] = [rows, -1]
        col["data"], col["offsets"] = {}, {}
        buffers += [(col["data"], flat), (col["offsets"], offsets)]
    else:
        dims = list(field["dims"])
        if arr.dtype == object:
            arr = _objects_to_numbers(field, arr, mask)
        if list(arr.shape[1:]) != dims:
            got = "scalars" if arr.ndim == 1 else f"shape {list(arr.shape[1:])}"
            want = "scalars" if not dims else f"lists of {dims[0]}" if len(dims) == 1 else f"shape {dims}"
            got = f"lists of {arr.shape[1]}" if arr.ndim == 2 else got
            _fail(field, f"has rows that are {got}, expected {want}")
        data = _cast(field, arr, mask)
        col["shape"] = [rows] + dims
        col["data"] = {}
        buffers.append((col["data"], data))
    if mask is not None:
        col["validity"] = {"bit_offset": 0}
        buffers.append((col["validity"], np.packbits(~mask, bitorder="little")))
    columns.append(col)


def _cast(field, arr, mask):
    target = NUMPY_DTYPES[field["dtype"]]
    src = arr.dtype
    if src.kind in "USO" or (src.kind == "M") != (target.kind == "M"):
        _fail(field, f"holds {_dtype_label(src)} values, which cannot be cast to {field['dtype']}")
    if not np.can_cast(src, target, casting="same_kind"):
        whole = src.kind == "f" and target.kind in "iu"
        checked = arr if mask is None else arr[~mask]
        if not (whole and np.all(np.isfinite(checked)) and np.all(np.floor(checked) == checked)):
            _fail(field, f"holds {_dtype_label(src)} values, which cannot be cast to {field['dtype']} without losing information")
    if mask is not None:
        arr = np.where(mask.reshape((-1,) + (1,) * (arr.ndim - 1)), np.zeros((), arr.dtype), arr)
    out = np.ascontiguousarray(arr.astype(target, copy=False))
    if target.kind == "b":
        return out.view(np.uint8)
    if target.kind == "M":
        return out.view(np.int64)
    return out


def _objects_to_numbers(field, arr, mask):
    filled = arr if mask is None else np.where(mask, 0, arr)
    try:
        return np.array(filled.tolist())
    except Exception:
        _fail(field, f"holds Python objects that are not {field['dtype']} values")


def _encode_strings(field, arr, mask):
    if arr.ndim != 1:
        _fail(field, f"has rows that are lists of {arr.shape[1]}, expected single {field['dtype']} values")
    want_text = field["dtype"] == "string"
    if arr.dtype.kind == "U" and want_text:
        encoded = [s.encode("utf-8") for s in arr.tolist()]
    else:
        encoded = []
        for i, v in enumerate(arr.tolist()):
            if v is None or (mask is not None and mask[i]):
                encoded.append(b"")
            elif want_text and isinstance(v, str):
                encoded.append(v.encode("utf-8"))
            elif not want_text and isinstance(v, (bytes, bytearray, memoryview)):
                encoded.append(bytes(v))
            else:
                _fail(field, f"holds a {type(v).__name__} at row {i}, expected {'str' if want_text else 'bytes'}")
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return b"".join(encoded), offsets


def _encode_ragged(field, arr, mask):
    target = NUMPY_DTYPES[field["dtype"]]
    parts = []
    for i, v in enumerate(arr if arr.dtype == object else list(arr)):
        if v is None or (mask is not None and mask[i]):
            parts.append(np.zeros(0, target))
            continue
        item = np.asarray(v)
        if item.ndim != 1:
            _fail(field, f"has a row {i} that is not a flat list")
        parts.append(item)
    offsets = np.zeros(len(parts) + 1, dtype=np.int32)
    np.cumsum([len(p) for p in parts], out=offsets[1:])
    flat = np.concatenate(parts) if parts else np.zeros(0, target)
    return _cast(field, flat, None), offsets


def _dtype_label(dtype):
    if dtype.kind == "U":
        return "string"
    if dtype.kind == "O":
        return "Python object"
    return dtype.name
