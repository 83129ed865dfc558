"""Memory and time, every way: until MemoryError, one giant tensor, many processes
together, slow but legal calls, a huge return value."""
import os
import time

import torch


def until_memory_error(x):
    hoard = []
    while True:
        hoard.append(bytearray(256 << 20))


def giant_tensor(x):
    return torch.empty(1 << 42)  # "can't allocate memory"


def together(mb, n):
    pids = []
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            block = bytearray(mb << 20)
            for i in range(0, len(block), 4096):
                block[i] = 1
            time.sleep(3)
            os._exit(0)
        pids.append(pid)
    return [os.waitpid(p, 0)[1] for p in pids]


def slow(x):
    time.sleep(0.4)
    return x


def huge(x):
    return torch.zeros(40_000_000)  # 160 MB
