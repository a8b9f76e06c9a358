"""Frames and columns of the worker protocol (see messages.ts for the layout).

Input columns become numpy arrays over the received frame without copies (np.frombuffer);
outputs are cast to their schema types, checked, and written back with one vectored write.
"""
import io
import json
import math
import os
import struct
import sys

import numpy as np

MAGIC = 0x31575651
PREFIX = struct.Struct("<IIQ")
ALIGN = 64

NUMPY_DTYPES = {
    "bool": np.dtype(np.bool_), "int8": np.dtype(np.int8), "int16": np.dtype("<i2"),
    "int32": np.dtype("<i4"), "int64": np.dtype("<i8"), "uint8": np.dtype(np.uint8),
    "uint16": np.dtype("<u2"), "uint32": np.dtype("<u4"), "uint64": np.dtype("<u8"),
    "float16": np.dtype("<f2"), "float32": np.dtype("<f4"), "float64": np.dtype("<f8"),
    "timestamp[ms]": np.dtype("<M8[ms]"),
}
_PAD = bytes(ALIGN)


def _align(n):
    return (n + ALIGN - 1) // ALIGN * ALIGN


class QuiverError(Exception):
    """An error with a Quiver code (`invalid_input`, `unsupported`) and the field it concerns."""

    def __init__(self, message, code=None, field=None):
        super().__init__(message)
        self.code = code
        self.field = field


BULK_THRESHOLD = 64 * 1024


class Channel:
    """The protocol pipes, plus an optional bulk lane: two files in /dev/shm that carry large
    frame bodies in one pread/pwrite each way (a pipe moves them 64 KB at a time)."""

    def __init__(self, read_fd, write_fd, bulk_in=None, bulk_out=None):
        self._in = io.FileIO(read_fd, "rb", closefd=False)
        self._out = write_fd
        self._bulk_in = bulk_in
        self._bulk_out = bulk_out
        self._bulk_buf = None

    def read_frame(self):
        """The next (header, body) or None when the parent closed the pipe."""
        prefix = bytearray(PREFIX.size)
        if not self._read_into(memoryview(prefix)):
            return None
        magic, header_len, body_len = PREFIX.unpack(prefix)
        if magic != MAGIC:
            raise RuntimeError("protocol channel received bytes that are not a frame")
        body_start = _align(PREFIX.size + header_len)
        frame = bytearray(body_start + body_len)
        view = memoryview(frame)
        if not self._read_into(view[PREFIX.size:]):
            return None
        header = json.loads(bytes(view[PREFIX.size:PREFIX.size + header_len]))
        bulk = header.get("bulk")
        if bulk:
            body = memoryview(self._bulk_body(bulk))
            got = 0
            while got < bulk:
                n = os.preadv(self._bulk_in, [body[got:]], got)
                if n <= 0:
                    raise RuntimeError("bulk file ended before the frame body")
                got += n
            return header, body
        return header, view[body_start:]

    def _bulk_body(self, size):
        """A buffer for a bulk body: the previous one again when nothing but this channel still
        holds it (no input array a model kept, no view of one), so its pages are already mapped;
        a fresh one otherwise. Three references = the attribute, `buf`, getrefcount's argument."""
        buf = self._bulk_buf
        if buf is not None and buf.nbytes >= size and sys.getrefcount(buf) == 3:
            return buf[:size]
        buf = np.empty(size, np.uint8)
        self._bulk_buf = buf
        return buf

    def _read_into(self, view):
        got = 0
        while got < len(view):
            n = self._in.readinto(view[got:])
            if not n:
                return False
            got += n
        return True

    def write_frame(self, header, buffers=()):
        """Writes a frame; `buffers` are (ref_dict, bytes-like) pairs laid out 64-aligned."""
        parts, length = [], 0
        for ref, buf in buffers:
            mv = memoryview(buf).cast("B")
            pad = _align(length) - length
            if pad:
                parts.append(_PAD[:pad])
            ref["offset"] = length + pad
            ref["length"] = mv.nbytes
            if mv.nbytes:
                parts.append(mv)
            length += pad + mv.nbytes
        if self._bulk_out is not None and length >= BULK_THRESHOLD:
            self._pwrite_all(parts)
            header["bulk"], parts, length = length, [], 0
        head = json.dumps(header, separators=(",", ":")).encode("utf-8")
        body_start = _align(PREFIX.size + len(head))
        first = PREFIX.pack(MAGIC, len(head), length) + head + bytes(body_start - PREFIX.size - len(head))
        self._write_all([first] + parts)

    def _pwrite_all(self, parts):
        views = [memoryview(p).cast("B") for p in parts]
        at = 0
        while views:
            n = os.pwritev(self._bulk_out, views[:512], at)
            at += n
            while n and views:
                if n >= views[0].nbytes:
                    n -= views[0].nbytes
                    views.pop(0)
                else:
                    views[0] = views[0][n:]
                    n = 0

    def _write_all(self, parts):
        views = [memoryview(p).cast("B") for p in parts]
        while views:
            n = os.writev(self._out, views[:512])
            while n and views:
                if n >= views[0].nbytes:
                    n -= views[0].nbytes
                    views.pop(0)
                else:
                    views[0] = views[0][n:]
                    n = 0


def decode_columns(columns, body):
    """Wire columns → dict of numpy arrays (views over `body` where the layout allows)."""
    out = {}
    for col in columns:
        out[col["name"]] = _decode(col, body)
    return out


def _decode(col, body):
    dtype, shape = col["dtype"], col["shape"]
    rows = shape[0]
    data = col["data"]
    if dtype in ("string", "binary"):
        offs = np.frombuffer(body, np.int32, rows + 1, col["offsets"]["offset"])
        offs = offs - offs[0]
        raw = bytes(body[data["offset"]:data["offset"] + data["length"]])
        bounds = offs.tolist()
        if dtype == "string" and raw.isascii():
            text = raw.decode("ascii")
            items = [text[a:b] for a, b in zip(bounds, bounds[1:])]
        elif dtype == "string":
            items = [raw[a:b].decode("utf-8") for a, b in zip(bounds, bounds[1:])]
        else:
            items = [raw[a:b] for a, b in zip(bounds, bounds[1:])]
        arr = np.empty(rows, dtype=object)
        arr[:] = items
    else:
        np_dtype = NUMPY_DTYPES[dtype]
        if shape[1:] == [-1]:
            offs = np.frombuffer(body, np.int32, rows + 1, col["offsets"]["offset"])
            offs = offs - offs[0]
            flat = np.frombuffer(body, np.uint8 if dtype == "bool" else np_dtype,
                                 int(offs[-1]), data["offset"]).view(np_dtype)
            arr = np.empty(rows, dtype=object)
            arr[:] = [flat[a:b] for a, b in zip(offs[:-1].tolist(), offs[1:].tolist())]
        else:
            count = math.prod(shape)
            base = np.uint8 if dtype == "bool" else (np.int64 if dtype == "timestamp[ms]" else np_dtype)
            arr = np.frombuffer(body, base, count, data["offset"]).view(np_dtype).reshape(shape)
    validity = col.get("validity")
    if validity:
        bits = np.frombuffer(body, np.uint8, validity["length"], validity["offset"])
        start = validity["bit_offset"]
        valid = np.unpackbits(bits, bitorder="little")[start:start + rows].astype(bool)
        if not valid.all():
            if arr.dtype == object:
                arr = arr.copy()
                arr[~valid] = None
            else:
                mask = np.broadcast_to((~valid).reshape((rows,) + (1,) * (arr.ndim - 1)), arr.shape)
                arr = np.ma.masked_array(arr, mask=mask)
    return arr
