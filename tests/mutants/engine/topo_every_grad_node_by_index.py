"""topo_order lists every node that requires grad, by decreasing index: a valid order, but
with nodes the root never reaches."""
BREAKS = "topo_order"
MISCONCEPTION = "topo_wrong_nodes"


def topo_order(nodes, root):
    return [i for i in range(len(nodes) - 1, -1, -1) if nodes[i]["requires_grad"]]
