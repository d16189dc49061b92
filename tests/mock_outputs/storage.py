"""Moved to the product: localcloud/mocks/storage.py (re-exported so tests keep importing it here)."""

from localcloud.mocks.storage import *  # noqa: F403
