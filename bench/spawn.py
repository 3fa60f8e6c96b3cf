"""A small helper process that starts the measured commands and times them.

Linux keeps a process's peak RSS across exec, and a new child starts out with
its parent's memory, so the ``ru_maxrss`` of a child is never below the size
of the process that started it. The harness grows as it works (sampled events,
checksums, in-process queries); this helper, started while the harness is
small and importing only what it needs, keeps that floor at about 12 MB, so
each command's peak RSS is its own.

Protocol, one JSON object per line: requests on stdin
``{"argv", "cwd", "stdin", "stdout"}`` (stdin and stdout are file paths or
null), replies on stdout ``{"seconds", "peak_rss_kib", "exit_code", "stderr"}``
(the end of the command's stderr).
"""

import json
import os
import subprocess
import sys
import tempfile
import time

STDERR_TAIL = 3000


def run(request: dict) -> dict:
    """Run one command to its end: wall seconds, peak RSS (KiB), exit code, end of stderr."""
    source = open(request["stdin"], "rb") if request["stdin"] else subprocess.DEVNULL
    sink = open(request["stdout"], "wb") if request["stdout"] else subprocess.DEVNULL
    # stderr goes to a file: a pipe nobody reads could fill up and stall the child
    with tempfile.TemporaryFile() as errors:
        try:
            started = time.perf_counter()
            child = subprocess.Popen(request["argv"], cwd=request["cwd"], stdin=source,
                                     stdout=sink, stderr=errors)
            _, status, usage = os.wait4(child.pid, 0)
            seconds = time.perf_counter() - started
            child.returncode = os.waitstatus_to_exitcode(status)
        finally:
            for handle in (source, sink):
                if handle is not subprocess.DEVNULL:
                    handle.close()
        errors.seek(max(0, errors.seek(0, os.SEEK_END) - STDERR_TAIL))
        tail = errors.read().decode("utf-8", "replace")
    return {"seconds": seconds, "peak_rss_kib": usage.ru_maxrss,
            "exit_code": child.returncode, "stderr": tail}


def main() -> None:
    for line in sys.stdin:
        sys.stdout.write(json.dumps(run(json.loads(line))) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
