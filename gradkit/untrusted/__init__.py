"""Everything that runs student code or talks to it, in one place for a security review.

``sandbox`` (the grader's handles: zygote, workers, a submission), ``isolation``
levels and ``privileges`` (namespaces, a uid of its own, limits), ``worker`` (the only
place student code is imported and called), ``watch`` (run-time rule detectors),
``wire`` and ``channel`` (the pickle-free transport), ``recipes`` (graphs as plain
data, built on both sides) and ``drawing`` (graphs as DOT and text, drawn on both sides).
"""
