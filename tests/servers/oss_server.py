"""Moved to the product: localcloud/servers/oss_server.py (re-exported here for the tests)."""

from localcloud.servers.oss_server import *  # noqa: F403
