"""Run a command and print its wall time, CPU seconds and peak RSS as JSON on stdout.

A child's peak RSS (ru_maxrss) starts from its parent's at fork, so benchmarks/transfer.py, which has
boto3 and the servers' helpers loaded, measures through this small process started with `python -S`:
the floor is then this process's few MiB, below anything the measured tools reach.
"""

import json
import os
import subprocess
import sys
import time

began = time.monotonic()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
json.dump(
    {
        "exit_code": os.waitstatus_to_exitcode(status),
        "wall": time.monotonic() - began,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_rss_mib": usage.ru_maxrss / 1024,
    },
    sys.stdout,
)
