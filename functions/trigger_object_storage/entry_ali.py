from trigger_object_storage import on_objects_created

from cloudfn.entry import fc_entry
from cloudfn.events import objects

handler = fc_entry(on_objects_created, parse=objects.from_ali)
