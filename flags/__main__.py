"""`python -m flags`: validate flags.json and fail on an expired flag still fully on."""

from __future__ import annotations

from flags.definitions import main

raise SystemExit(main())
