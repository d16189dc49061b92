"""The tutorial's migration example: thumbnails for images dropped under ``images/``.

Business logic only: it sees neutral ``ObjectCreated`` events and the ``ObjectStore`` and
``Messaging`` interfaces, never a cloud SDK, event shape or context.
"""
