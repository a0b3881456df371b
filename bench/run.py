"""Entry point of ``make bench``: the benchmarks the project decides on.

Today that is the transport comparison (``bench.transport``); its flags,
such as ``--quick``, pass through.
"""

from __future__ import annotations

import sys

from bench.transport import main

if __name__ == "__main__":
    sys.exit(main())
