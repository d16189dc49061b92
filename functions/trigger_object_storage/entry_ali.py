from trigger_object_storage import bootstrap

from cloudfn.bootstrap import warm
from cloudfn.entry import fc_entry
from cloudfn.events import objects

handler = fc_entry(warm(bootstrap), parse=objects.from_ali)
