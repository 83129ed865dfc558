"""topo_order's depth-first walk follows every input, the inputs of detach and leaves
without requires_grad included."""
BREAKS = "topo_order"
MISCONCEPTION = "topo_wrong_nodes"


def topo_order(nodes, root):
    done, order = set(), []

    def visit(i):
        done.add(i)
        for j in nodes[i]["inputs"]:
            if j not in done:
                visit(j)
        order.append(i)

    visit(root)
    return order[::-1]
