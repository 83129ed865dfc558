# Misbehaving overrides, appended to solutions/gd_loop.py by tests/kit.py (build_hostile):
# the other gd_loop functions stay correct and must keep full marks.


def least_squares(X, y):  # returns junk
    return object()


def ridge(X, y, lam):
    raise KeyboardInterrupt
