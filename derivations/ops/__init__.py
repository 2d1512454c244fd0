"""The op registry: one spec per op, read by every layer that needs to know an op.

``registry.py`` is the entry point (``FUNCTIONS``, ``NODES``, ``CALLS``); ``functions.py`` holds
the elementwise functions, ``nodeops.py`` the node classes. This package imports no printer, no
derivative rule and no engine: it is metadata (names, arities, renderings, domains, meanings),
so the engine may read it and stay independent of the calculus. Nothing is imported here, so
that ``expr.nodes`` can read ``ops.functions`` without an import cycle.
"""
