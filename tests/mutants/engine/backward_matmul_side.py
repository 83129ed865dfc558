"""backward's own matmul rule for matrix @ matrix puts Bᵀ on the wrong side of G
(B @ Gᵀ for A's gradient: A's gradient transposed)."""
BREAKS = "backward"
MISCONCEPTION = "matmul_wrong_side"


def _rule(node, inputs, grad_out):
    if node["op"] == "matmul" and inputs[1].dim() == 2:
        A, B = inputs
        return B @ grad_out.t(), A.t() @ grad_out
    return _vjp(node, inputs, grad_out)


def backward(nodes, root, grad_root):
    value = nodes[root]["value"]
    grads = {root: torch.ones_like(value) if grad_root is None else grad_root.clone()}
    for i in _topo_order(nodes, root):
        node, g = nodes[i], grads.get(i)
        if node["op"] == "leaf" or g is None:
            continue
        for j, gj in zip(node["inputs"], _rule(node, [nodes[j]["value"] for j in node["inputs"]], g)):
            if gj is not None and nodes[j]["requires_grad"]:
                grads[j] = gj if j not in grads else grads[j] + gj
    return [grads[i].clone() if n["op"] == "leaf" and i in grads else None
            for i, n in enumerate(nodes)]
