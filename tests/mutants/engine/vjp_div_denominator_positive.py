"""div: the denominator's gradient written as grad_out·a/b² (the quotient rule's minus lost)."""
BREAKS = "vjp"
MISCONCEPTION = "vjp_sign_dropped"


def vjp(node, inputs, grad_out):
    if node["op"] == "div":
        a, b = inputs
        return (_unbroadcast(grad_out / b, a.shape), _unbroadcast(grad_out * a / b ** 2, b.shape))
    return _vjp(node, inputs, grad_out)
