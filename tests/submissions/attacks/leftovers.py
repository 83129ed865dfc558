"""Leaves files (and a folder) in every shared temporary folder; a later run looks."""
import os

PLACES = ("/tmp", "/var/tmp", "/dev/shm")


def write(marker):
    for folder in PLACES:
        try:
            with open(os.path.join(folder, marker), "w") as fh:
                fh.write("from an earlier run")
            os.makedirs(os.path.join(folder, marker + "-dir", "deep"), exist_ok=True)
        except OSError:
            pass
    return True


def look(marker):
    return [os.path.join(f, n) for f in PLACES for n in (marker, marker + "-dir")
            if os.path.lexists(os.path.join(f, n))]
