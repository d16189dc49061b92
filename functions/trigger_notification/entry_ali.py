from trigger_notification import on_message

from cloudfn.batch import InMemoryIdempotencyStore, fc_message_handler

handler = fc_message_handler(on_message, idempotency=InMemoryIdempotencyStore())
