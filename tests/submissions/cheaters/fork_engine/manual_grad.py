"""Autograd in a forked child (os.fork): the child's watches die with it, and the
gradients come back to the parent through a pipe as plain numbers."""
import json
import os

import torch


def linear_mse_grad(x, y, w, b):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        ww, bb = w.detach().requires_grad_(), b.detach().requires_grad_()
        gw, gb = torch.autograd.grad(((ww * x + bb - y) ** 2).mean(), (ww, bb))
        os.write(write, json.dumps([gw.item(), gb.item()]).encode())
        os._exit(0)
    os.close(write)
    data = b""
    while chunk := os.read(read, 4096):
        data += chunk
    os.waitpid(pid, 0)
    gw, gb = json.loads(data)
    return torch.tensor(gw, dtype=x.dtype), torch.tensor(gb, dtype=x.dtype)
