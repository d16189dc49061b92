"""Moved to the product: localcloud/servers/mns_server.py (re-exported here for the tests)."""

from localcloud.servers.mns_server import *  # noqa: F403
