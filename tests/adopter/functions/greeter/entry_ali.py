from greeter import greet

from cloudfn.entry import fc_entry
from cloudfn.events import objects

handler = fc_entry(greet, parse=objects.from_ali)
