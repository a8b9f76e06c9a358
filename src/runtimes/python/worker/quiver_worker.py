"""A Quiver Python worker: serves load / infer / unload / ping frames on stdin, replies on stdout.

Started by worker-pool.ts with stdin/stdout as the protocol channel. Anything the model code
prints goes to stderr (fd 1 is moved there), which Quiver captures and shows on failure. The
worker exits when its stdin closes, and the kernel kills it if the Quiver process dies first.
"""
import os
import sys
import traceback


def _die_with_parent():
    try:
        import ctypes
        import signal
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass
    # In bubblewrap's PID namespace the parent is its init (PID 1), which dies with Quiver.
    if os.getppid() == 1 and not os.environ.get("QUIVER_SANDBOXED"):
        os._exit(0)


def _protocol_fds():
    out = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return 0, out


def _error(exc):
    cls = type(exc)
    err = {
        "type": f"{cls.__module__}.{cls.__qualname__}",
        "message": str(exc) or cls.__name__,
        "traceback": "".join(traceback.format_exception(cls, exc, exc.__traceback__)),
    }
    code, field = getattr(exc, "code", None), getattr(exc, "field", None)
    if isinstance(code, str):
        err["code"] = code
    if isinstance(field, str):
        err["field"] = field
    return err


def main():
    _die_with_parent()
    read_fd, write_fd = _protocol_fds()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import quiver_wire
    from quiver_outputs import encode_outputs

    bulk = [os.open(path, os.O_RDWR) for path in sys.argv[1:3]] if len(sys.argv) >= 3 else [None, None]
    channel = quiver_wire.Channel(read_fd, write_fd, *bulk)
    models = {}
    while True:
        frame = channel.read_frame()
        if frame is None:
            return
        header, body = frame
        reply, buffers = {"id": header.get("id"), "ok": True}, []
        inputs = result = None
        try:
            kind = header.get("kind")
            if kind == "ping":
                reply["pid"] = os.getpid()
            elif kind == "load":
                reply["warnings"] = _load(header, models)
            elif kind == "infer":
                model, fields = models[header["model"]]
                rows = header["rows"]
                inputs = quiver_wire.decode_columns(header["columns"], body)
                result = model.infer(inputs, rows)
                columns, buffers = encode_outputs(result, fields, rows)
                reply["columns"], reply["rows"] = columns, rows
            elif kind == "unload":
                models.pop(header.get("model"), None)
            else:
                raise quiver_wire.QuiverError(f"unknown request kind {kind!r}")
        except BaseException as exc:  # noqa: B036 - user code may raise SystemExit; the worker must answer
            if isinstance(exc, KeyboardInterrupt):
                raise
            reply, buffers = {"id": header.get("id"), "ok": False, "error": _error(exc)}, []
        del body, frame
        channel.write_frame(reply, buffers)
        # Nothing here may keep the request body alive, so the channel can reuse its buffer.
        inputs = result = buffers = None


def _load(header, models):
    import quiver_models
    import quiver_requirements
    warnings = []
    requirements = header.get("requirements")
    if requirements:
        warnings += quiver_requirements.check(requirements)
    models[header["model"]] = (quiver_models.load(header), header["output_fields"])
    return warnings


if __name__ == "__main__":
    main()
