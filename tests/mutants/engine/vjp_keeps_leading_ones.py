"""vjp sums over broadcast dimensions with keepdim=True everywhere and never drops the
leading ones: a (k,) input gets a (1, k) gradient."""
BREAKS = "vjp"
MISCONCEPTION = "no_broadcast_reduction"


def vjp(node, inputs, grad_out):
    grads = _vjp(node, inputs, grad_out)
    if node["op"] not in ("add", "sub", "mul", "div"):
        return grads
    out = []
    for g, x in zip(grads, inputs):
        while g.dim() < node["value"].dim():
            g = g.unsqueeze(0)
        out.append(g)
    return tuple(out)
