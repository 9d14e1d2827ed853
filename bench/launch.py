"""Run one command as the child of this small process and report what the child used.

    python -I -S launch.py REPORT_FILE COMMAND [ARG...]

Writes ``wall_seconds cpu_seconds maxrss_kb exit_code`` to REPORT_FILE and exits with the
child's exit code. The benchmark does not spawn the measured commands itself because a
process's peak memory (``ru_maxrss``) starts at the size of the process it was forked
from: exec keeps the high-water mark. Spawned from this launcher, a command's figure is
its own (the launcher itself stays below the smallest Python process measured).
"""

import os
import sys
import time


def main() -> int:
    report, argv = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    with open(report, "w") as f:
        f.write(f"{seconds} {usage.ru_utime + usage.ru_stime} {usage.ru_maxrss} {code}\n")
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
