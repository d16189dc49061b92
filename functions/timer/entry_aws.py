from timer import bootstrap

from cloudfn.bootstrap import warm
from cloudfn.entry import lambda_entry
from cloudfn.events import timer as timer_events

handler = lambda_entry(warm(bootstrap), parse=timer_events.from_aws)
