"""The nodes under a node, each once, every node after its inputs: llb's order of ops.

One walk serves both of an evaluation's questions about its export: which nodes
it reaches (the unused-step warnings, compiler/evaluate.py) and in which order
they become ops (the marshal, compiler/llb/marshal.py). A 10,000-op graph took
~15 ms to walk each time; walked once, the marshal only goes down the list.
"""

from __future__ import annotations

from compiler.graph import nodes as g


def post_order(root: g.Node) -> dict[int, g.Node]:
    """The nodes under `root` (itself included) by id, in post-order DFS over inputs.

    By identity, not digest (nothing is encoded): nodes that encode to one op appear
    once each. A dict keeps the order the nodes were met in, and answers "is this
    node reached?" in one look. Without recursion: graphs can be 10,000 deep.
    """
    order: dict[int, g.Node] = {}
    visited: set[int] = set()
    # (node, expanded): a node's inputs are pushed above it, so it is listed after them.
    stack: list[tuple[g.Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order[id(node)] = node
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        # Reversed, so that the first input is popped (and listed) first, as llb lists it.
        for ref in reversed(node.inputs()):
            if ref is not None and id(ref.node) not in visited:
                stack.append((ref.node, False))
    return order
