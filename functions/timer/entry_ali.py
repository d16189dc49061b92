from timer import on_tick

from cloudfn.entry import fc_entry
from cloudfn.events import timer as timer_events

handler = fc_entry(on_tick, parse=timer_events.from_ali)
