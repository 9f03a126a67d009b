/**
 * The Python side of the sandbox, written into each evaluation's temp dir. Both scripts first cap the
 * address space (`RLIMIT_AS`, hard limit too, so the candidate cannot raise it back), then say `ready`
 * on fd 3: what happens before that is the runtime starting, not the candidate's time.
 *
 * The function harness imports the solution once and runs every example in the same process, each
 * under a `SIGALRM` timer of the example's wall time (cheap: no process per example). A loop that never
 * returns to the interpreter (a long C call) does not see the alarm; the parent's deadline kills it.
 * Results are compared by JSON semantics: tuples equal lists, `True` is not `1`, dict keys are compared
 * as JSON would write them, and two numbers that are not both integers are equal within a relative
 * tolerance of 1e-9.
 */

export const PYTHON_HARNESS_FILE = "orket_harness.py";
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
    data = (json.dumps(message) + "\n").encode("utf-8")
    while data:
        data = data[os.write(3, data):]
`;

/** argv: memory_bytes, program path, program args. Runs the program as `__main__`. */
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

/** argv: config path, first example index. */
export const PYTHON_HARNESS = `${PRELUDE}
import importlib.util
import math
import signal

SHOWN_CHARS = 300


class _Timeout(BaseException):
    pass


def _on_alarm(signum, frame):
    raise _Timeout()


def plain(value, depth=0):
    """The value as JSON sees it; raises TypeError for what JSON cannot hold."""
    if depth > 200:
        raise ValueError("nested too deeply")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [plain(item, depth + 1) for item in value]
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            result[json_key(key)] = plain(item, depth + 1)
        return result
    to_list = getattr(value, "tolist", None)
    if callable(to_list):
        return plain(to_list(), depth + 1)
    raise TypeError(type(value).__name__ + " is not JSON")


def json_key(key):
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, (int, float)):
        return json.dumps(key)
    raise TypeError(type(key).__name__ + " key is not JSON")


def same(got, want):
    if want is None:
        return got is None
    if isinstance(want, bool):
        return isinstance(got, bool) and got == want
    if isinstance(want, (int, float)):
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return False
        if isinstance(got, int) and isinstance(want, int):
            return got == want
        try:
            return got == want or math.isclose(got, want, rel_tol=1e-9, abs_tol=0.0)
        except OverflowError:
            return False
    if isinstance(want, str):
        return isinstance(got, str) and got == want
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(same(g, w) for g, w in zip(got, want))
    if isinstance(want, dict):
        return isinstance(got, dict) and got.keys() == want.keys() and all(same(got[k], want[k]) for k in want)
    return False


def show(value):
    try:
        text = json.dumps(plain(value), ensure_ascii=False, separators=(",", ":"))
    except Exception:
        try:
            text = repr(value)
        except Exception:
            text = "<" + type(value).__name__ + ">"
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "..."


def describe(exc, module_path):
    try:
        message = str(exc)
    except Exception:
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


def find_function(module, name):
    found = getattr(module, name, None)
    if found is None:
        # LeetCode style: the function is a method of class Solution.
        holder = getattr(module, "Solution", None)
        if isinstance(holder, type) and callable(getattr(holder, name, None)):
            found = getattr(holder(), name)
    return found


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        config = json.load(handle)
    start = int(sys.argv[2])
    _orket_limit_memory(config["memory_bytes"])
    os.set_inheritable(3, False)
    _orket_send({"event": "ready"})
    module_path = config["module"]
    name = config["function_name"]
    sys.path.insert(0, os.path.dirname(module_path))
    try:
        spec = importlib.util.spec_from_file_location("solution", module_path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["solution"] = module
        spec.loader.exec_module(module)
        function = find_function(module, name)
    except BaseException as exc:
        _orket_send({"event": "load_error", "error": describe(exc, module_path)})
        return
    wall = config["wall_ms"] / 1000
    signal.signal(signal.SIGALRM, _on_alarm)
    examples = config["examples"]
    for index in range(start, len(examples)):
        example = examples[index]
        _orket_send({"event": "start", "index": index})
        if not callable(function):
            error = "NameError: name '" + name + "' is not defined" if function is None else "TypeError: '" + name + "' is not callable"
            _orket_send({"event": "result", "index": index, "passed": False, "error": error})
            continue
        try:
            signal.setitimer(signal.ITIMER_REAL, wall)
            try:
                got = function(*example["args"])
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except _Timeout:
            _orket_send({"event": "result", "index": index, "passed": False, "timed_out": True})
            continue
        except BaseException as exc:
            _orket_send({"event": "result", "index": index, "passed": False, "error": describe(exc, module_path)})
            continue
        try:
            passed = same(plain(got), example["expected"])
        except (TypeError, ValueError, RecursionError):
            passed = False
        _orket_send({"event": "result", "index": index, "passed": passed, "got": show(got)})
    os._exit(0)


main()
`;
