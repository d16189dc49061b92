from trigger_notification import bootstrap

from cloudfn.batch import InMemoryIdempotencyStore, fc_message_handler
from cloudfn.bootstrap import warm

handler = fc_message_handler(warm(bootstrap), idempotency=InMemoryIdempotencyStore())
