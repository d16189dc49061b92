from timer import on_tick

from cloudfn.entry import lambda_entry
from cloudfn.events import timer as timer_events

handler = lambda_entry(on_tick, parse=timer_events.from_aws)
