"""Sets x.grad = None between the passes, as set_to_none zero_grad would."""
BREAKS = "backward_twice"
MISCONCEPTION = "zeroed_between_backwards"


def backward_twice(z, x):
    for i in range(2):
        if i:
            x.grad = None
        z.backward(retain_graph=True)
    return x.grad.clone()
