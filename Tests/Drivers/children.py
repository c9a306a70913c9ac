"""The programs a driver starts end with it: `popen` is subprocess.Popen, and whatever is still running when the
driver exits (its checks done, or an exception on the way) is killed. A driver killed by its test's time limit
takes its children with it anyway (the test kills the whole tree)."""
import atexit
import subprocess

_started = []


def popen(argv, **kwargs):
    process = subprocess.Popen(argv, **kwargs)
    _started.append(process)
    return process


@atexit.register
def _end_children():
    for process in _started:
        if process.poll() is None:
            process.kill()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
