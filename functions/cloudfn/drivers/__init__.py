"""Small I/O interfaces with one adapter per cloud (object storage, messaging, database).

Adapters import their cloud SDK lazily, so a function only needs the SDK of the cloud it runs on.
"""
