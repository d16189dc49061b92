"""Moved to the product: localcloud/mocks/database.py (re-exported so tests keep importing it here)."""

from localcloud.mocks.database import *  # noqa: F403
