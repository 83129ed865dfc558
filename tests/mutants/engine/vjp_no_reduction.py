"""Binary ops return the upstream-shaped gradient for both inputs: no sum over broadcast dimensions."""
BREAKS = "vjp"
MISCONCEPTION = "no_broadcast_reduction"


def vjp(node, inputs, grad_out):
    if node["op"] in ("add", "sub", "mul", "div"):
        a, b = inputs
        g = grad_out
        rules = {"add": (g, g), "sub": (g, -g), "mul": (g * b, g * a),
                 "div": (g / b, -g * a / b ** 2)}
        return rules[node["op"]]
    return _vjp(node, inputs, grad_out)
