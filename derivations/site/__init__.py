"""The documentation site: every catalog entry derived, verified and rendered at build time.

``build_site(out)`` (``builder.py``) writes plain files that work from ``file://``; the service
renders the same pages through ``render_page``. Math is MathML from latex2mathml (no
JavaScript, no network); computation graphs and technique plots are SVG written here.
"""
