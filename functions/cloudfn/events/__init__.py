"""Neutral event types and their parsers, one module per kind of trigger.

Each module offers ``from_aws(event)`` for the dict Lambda passes and ``from_ali(event)`` for
the bytes Function Compute passes, both raising :class:`cloudfn.errors.EventFormatError` with
what was expected when the shape is wrong.
"""
