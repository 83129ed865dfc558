"""Starts processes that leave the process group and outlive the call, one of them
meant to rewrite the results file after the grader is done."""
import os
import subprocess
import time


def probe(marker, results):
    subprocess.Popen(["sleep", marker], start_new_session=True)
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(1.5)
            try:
                with open(results, "w") as fh:
                    fh.write('{"score": 100}')
            except OSError:
                pass
            os._exit(0)
        os._exit(0)
    return True
