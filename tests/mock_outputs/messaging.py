"""Moved to the product: localcloud/mocks/messaging.py (re-exported so tests keep importing it here)."""

from localcloud.mocks.messaging import *  # noqa: F403
