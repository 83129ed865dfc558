"""div: the denominator's gradient written −g·a/b, the square of b forgotten."""
BREAKS = "vjp"
MISCONCEPTION = "quotient_rule_factor_missing"


def vjp(node, inputs, grad_out):
    if node["op"] == "div":
        num, den = inputs
        g_num = _unbroadcast(grad_out / den, num.shape)
        g_den = _unbroadcast(-(grad_out * num) / den, den.shape)
        return (g_num, g_den)
    return _vjp(node, inputs, grad_out)
