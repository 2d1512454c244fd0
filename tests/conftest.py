"""Suite-wide set-up: where the optional PyTorch build lives.

PyTorch is never a dependency of chainrule (an unpinned ``torch`` pulls a CUDA build of several
GB). ``.ci/run`` installs the pinned CPU build (torch==2.13.0) into its own environment and
names that environment's site-packages in ``CHAINRULE_TORCH_SITE``; it is appended *after* the
test environment's own packages, so every other package still comes from ``pyproject.toml``.
Tests that need torch ``importorskip`` it and say they are skipped when it is absent.
"""

from __future__ import annotations

import os
import sys

_TORCH_SITE = os.environ.get("CHAINRULE_TORCH_SITE", "")
if _TORCH_SITE and _TORCH_SITE not in sys.path:
    sys.path.append(_TORCH_SITE)
