from trigger_notification import bootstrap

from cloudfn.batch import InMemoryIdempotencyStore, lambda_message_handler
from cloudfn.bootstrap import warm

handler = lambda_message_handler(warm(bootstrap), idempotency=InMemoryIdempotencyStore())
