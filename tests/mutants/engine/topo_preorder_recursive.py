"""topo_order emits a node when it is first reached (recursive DFS pre-order)."""
BREAKS = "topo_order"
MISCONCEPTION = "topo_preorder"


def topo_order(nodes, root):
    out = []

    def visit(i):
        if i in out or not nodes[i]["requires_grad"]:
            return
        out.append(i)
        if nodes[i]["op"] != "detach":
            for j in nodes[i]["inputs"]:
                visit(j)

    visit(root)
    return out
