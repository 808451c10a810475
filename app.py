"""`python app.py` (the Procfile's `web` line; also `dd0c-cost serve`): run the service.

The service itself is the `app/` package; this file only starts it.
"""

from __future__ import annotations

import signal
import sys

if __name__ == "__main__":
    # A SIGTERM while the libraries load is a clean stop too; main() then takes over, and the
    # event loop's handlers after it.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    from app import main

    sys.exit(main())
