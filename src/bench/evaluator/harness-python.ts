/**
 * The Python side of the sandbox, written into each evaluation's temp dirs. Every script first caps the
 * address space (`RLIMIT_AS`, hard limit too, so the candidate cannot raise it back), then says `ready`
 * on fd 3: what happens before that is the runtime starting, not the candidate's time.
 *
 * Nothing the candidate's process says is trusted. The **server** imports the solution and answers
 * calls read from fd 4 (`{"event":"call","id","name","args"}`) with the value the function returned,
 * packed into a tagged form (see `values.ts`) on fd 3. It never sees an expected value and never says
 * "passed": for a `function` task the parent compares the packed value with the bank's example; for a
 * `test_program` task the **checker**, a second process that holds no candidate code, runs the bank's
 * test program with a stand-in for each of the candidate's functions that forwards the call (through the
 * parent) to the server and unpacks the answer into plain Python values. An object that overrides
 * `__eq__` cannot leave the server, and rewriting the server's code changes nothing but the values it
 * sends, which is no more than returning them.
 *
 * Each call runs under a `SIGALRM` timer of the example's wall time (cheap: no process per call). A
 * loop that never returns to the interpreter (a long C call) does not see the alarm; the parent's
 * deadline kills it.
 */

export const PYTHON_SERVER_FILE = "orket_server.py";
export const PYTHON_CHECKER_FILE = "orket_check.py";
export const PYTHON_RUNNER_FILE = "orket_run.py";

const PRELUDE = String.raw`import json
import os
import sys


def _orket_limit_memory(limit):
    if not limit:
        return
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass


def _orket_send(message):
    data = (json.dumps(message, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n").encode("utf-8")
    while data:
        data = data[os.write(3, data):]
`;

/** argv: memory_bytes, program path, program args. Runs the program as `__main__` (cli tasks). */
export const PYTHON_RUNNER = `${PRELUDE}

def _orket_main():
    _orket_limit_memory(int(sys.argv[1]))
    path = sys.argv[2]
    _orket_send({"event": "ready"})
    os.close(3)
    sys.argv = [path] + sys.argv[3:]
    sys.path[0] = os.path.dirname(path)
    import runpy

    runpy.run_path(path, run_name="__main__")


_orket_main()
`;

/** The tagged value form of `values.ts`, the same on both sides of a call. */
const VALUES = String.raw`
class _Unpackable(Exception):
    pass


def pack(value, depth=0):
    """The value in the tagged form the parent and the checker read (values.ts)."""
    if depth > 200:
        raise _Unpackable("a value nested more than 200 levels deep")
    if value is None:
        return None
    if isinstance(value, bool):
        return value is True
    if isinstance(value, int):
        return {"i": int.__repr__(value)}
    if isinstance(value, float):
        return {"f": float.__repr__(value)}
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, (bytes, bytearray)):
        return {"b": memoryview(value).hex()}
    if isinstance(value, tuple):
        return {"t": [pack(item, depth + 1) for item in value]}
    if isinstance(value, list):
        return {"l": [pack(item, depth + 1) for item in value]}
    if isinstance(value, frozenset):
        return {"fs": [pack(item, depth + 1) for item in value]}
    if isinstance(value, set):
        return {"s": [pack(item, depth + 1) for item in value]}
    if isinstance(value, dict):
        return {"d": [[pack(key, depth + 1), pack(item, depth + 1)] for key, item in value.items()]}
    to_list = getattr(value, "tolist", None)
    if callable(to_list):
        return pack(to_list(), depth + 1)
    raise _Unpackable("a " + type(value).__name__)


def unpack(packed, depth=0):
    if depth > 200:
        raise ValueError("nested too deeply")
    if packed is None or isinstance(packed, (bool, str)):
        return packed
    (tag, inner), = packed.items()
    if tag == "i":
        return int(inner)
    if tag == "f":
        return float(inner)
    if tag == "b":
        return bytes.fromhex(inner)
    if tag == "t":
        return tuple(unpack(item, depth + 1) for item in inner)
    if tag == "l":
        return [unpack(item, depth + 1) for item in inner]
    if tag == "s":
        return set(unpack(item, depth + 1) for item in inner)
    if tag == "fs":
        return frozenset(unpack(item, depth + 1) for item in inner)
    if tag == "d":
        return {unpack(key, depth + 1): unpack(item, depth + 1) for key, item in inner}
    raise ValueError("unknown tag " + tag)
`;

/** argv: module path, memory_bytes. */
export const PYTHON_SERVER = String.raw`${PRELUDE}
import builtins
import importlib.util
import signal
import types
${VALUES}

MAX_MESSAGE_BYTES = 1024 * 1024
SHOWN_CHARS = 300


class _Timeout(BaseException):
    pass


def _on_alarm(signum, frame):
    raise _Timeout()


def show(value):
    try:
        text = repr(value)
    except BaseException:
        text = "<" + type(value).__name__ + ">"
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "..."


def describe(exc, module_path):
    try:
        message = str(exc)
    except BaseException:
        message = ""
    text = type(exc).__name__ + (": " + message if message else "")
    import traceback  # only when something failed: it costs a few ms at start-up

    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == module_path:
            line = frame.lineno
    if line is not None:
        text += " (line " + str(line) + ")"
    return text[:500]


def exception_name(exc):
    kind = type(exc)
    return kind.__name__ if getattr(builtins, kind.__name__, None) is kind else None


def find(module, name):
    found = getattr(module, name, None)
    if found is None:
        # LeetCode style: the function is a method of class Solution.
        holder = getattr(module, "Solution", None)
        if isinstance(holder, type) and callable(getattr(holder, name, None)):
            found = getattr(holder(), name)
    return found


def describe_globals(module):
    """What the checker needs to stand in for the solution's module scope; builtins are never shadowed."""
    found = []
    for name, value in list(vars(module).items()):
        if name.startswith("__") or hasattr(builtins, name):
            continue
        if isinstance(value, types.ModuleType):
            found.append({"name": name, "kind": "module", "module": value.__name__})
        elif callable(value):
            found.append({"name": name, "kind": "callable"})
        else:
            try:
                found.append({"name": name, "kind": "value", "value": pack(value)})
            except Exception:
                pass
    return found


def answer(message):
    data = json.dumps(message, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    if len(data) > MAX_MESSAGE_BYTES:
        message = {"event": "result", "id": message["id"], "error": "the returned value takes " + str(len(data)) + " bytes; the limit is " + str(MAX_MESSAGE_BYTES)}
    _orket_send(message)


def main():
    module_path = sys.argv[1]
    _orket_limit_memory(int(sys.argv[2]))
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)
    requests = os.fdopen(4, "rb", buffering=0)
    os.set_inheritable(3, False)
    _orket_send({"event": "ready"})
    sys.path.insert(0, os.path.dirname(module_path))
    try:
        spec = importlib.util.spec_from_file_location("solution", module_path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["solution"] = module
        spec.loader.exec_module(module)
        scope = describe_globals(module)
    except BaseException as exc:
        _orket_send({"event": "load_error", "error": describe(exc, module_path)})
        return
    _orket_send({"event": "loaded", "globals": scope})
    signal.signal(signal.SIGALRM, _on_alarm)
    pending = b""
    while True:
        chunk = requests.read(65536)
        if not chunk:
            break
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            call = json.loads(line)
            serve(module, module_path, call)
    os._exit(0)


def serve(module, module_path, call):
    ident = call["id"]
    name = call["name"]
    function = find(module, name)
    if not callable(function):
        error = "NameError: name '" + name + "' is not defined" if function is None else "TypeError: '" + name + "' is not callable"
        _orket_send({"event": "result", "id": ident, "error": error, "exception": "NameError" if function is None else "TypeError"})
        return
    try:
        args = [unpack(arg) for arg in call["args"]]
    except Exception as exc:
        _orket_send({"event": "result", "id": ident, "error": "the arguments could not be read: " + str(exc)})
        return
    try:
        signal.setitimer(signal.ITIMER_REAL, call["wall_ms"] / 1000)
        try:
            got = function(*args)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _Timeout:
        _orket_send({"event": "result", "id": ident, "timed_out": True})
        return
    except BaseException as exc:
        _orket_send({"event": "result", "id": ident, "error": describe(exc, module_path), "exception": exception_name(exc)})
        return
    try:
        packed = pack(got)
    except (_Unpackable, RecursionError, ValueError, TypeError) as exc:
        _orket_send({"event": "result", "id": ident, "error": "returned " + str(exc) + ", which cannot leave the candidate's process: " + show(got)})
        return
    answer({"event": "result", "id": ident, "value": packed})


main()
`;

/**
 * argv: test program path, memory_bytes. Holds no candidate code: reads the solution's scope from fd 4,
 * stands in for each function, runs the test program as `__main__`. Started with `-I`, so nothing on
 * the candidate's side (its folder, a user site, PYTHON* variables) is on its path.
 */
export const PYTHON_CHECKER = String.raw`${PRELUDE}
import builtins
import importlib
${VALUES}

_channel = None
_pending = b""
_next_id = 0


class CandidateProcessEnded(Exception):
    pass


def _read_message():
    global _pending
    while b"\n" not in _pending:
        chunk = os.read(4, 65536)
        if not chunk:
            raise CandidateProcessEnded("the candidate's process ended")
        _pending += chunk
    line, _pending = _pending.split(b"\n", 1)
    return json.loads(line)


def stand_in(name):
    def call(*args, **kwargs):
        global _next_id
        if kwargs:
            raise TypeError(name + "() was called with keyword arguments, which the evaluator does not forward")
        _next_id += 1
        ident = _next_id
        try:
            packed = [pack(arg) for arg in args]
        except _Unpackable as exc:
            raise TypeError("the test program passed " + str(exc) + ", which cannot reach the candidate's process")
        _orket_send({"event": "call", "id": ident, "name": name, "args": packed})
        reply = _read_message()
        if reply.get("id") != ident:
            raise CandidateProcessEnded("the candidate's process answered out of turn")
        if reply.get("timed_out"):
            raise TimeoutError(name + "() timed out")
        if "error" in reply:
            kind = getattr(builtins, reply.get("exception") or "", None)
            if not (isinstance(kind, type) and issubclass(kind, Exception)):
                kind = RuntimeError
            raise kind(reply["error"])
        return unpack(reply["value"])

    call.__name__ = name
    return call


def main():
    path = sys.argv[1]
    _orket_limit_memory(int(sys.argv[2]))
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)
    os.set_inheritable(3, False)
    os.set_inheritable(4, False)
    _orket_send({"event": "ready"})
    scope = {"__name__": "__main__", "__file__": path, "__builtins__": builtins}
    for entry in _read_message()["globals"]:
        name = entry["name"]
        if name.startswith("__") or hasattr(builtins, name):
            continue
        if entry["kind"] == "callable":
            scope[name] = stand_in(name)
        elif entry["kind"] == "module":
            try:
                scope[name] = importlib.import_module(entry["module"])
            except Exception:
                pass
        else:
            scope[name] = unpack(entry["value"])
    with open(path, encoding="utf-8") as handle:
        code = compile(handle.read(), path, "exec")
    exec(code, scope)


main()
`;
