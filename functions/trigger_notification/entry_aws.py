from trigger_notification import on_message

from cloudfn.batch import InMemoryIdempotencyStore, lambda_message_handler

handler = lambda_message_handler(on_message, idempotency=InMemoryIdempotencyStore())
