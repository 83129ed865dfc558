"""lr <= 1/a: at lr = 1/a exactly the iterate flips sign forever and never converges."""
BREAKS = "converges"
MISCONCEPTION = "boundary_included"


def converges(a, lr):
    return 0 < lr <= 1 / a
