"""The second derivative by backward() on p′: for a constant or a line p′ has no
grad_fn and backward raises "does not require grad"."""
BREAKS = "second_derivative"
MISCONCEPTION = "second_grad_unused"


def second_derivative(coeffs, x):
    x = x.detach().clone().requires_grad_(True)
    p = sum(c * x ** k for k, c in enumerate(coeffs.tolist()))
    p = p + 0 * x
    p.sum().backward(create_graph=True)
    dp = x.grad.clone()
    x.grad = None
    dp.sum().backward()
    return x.grad.detach()
