from output_object_storage import BINDING, make_logic

from cloudfn.drivers.objectstore import from_env
from cloudfn.entry import fc_entry

handler = fc_entry(make_logic(lambda: from_env(BINDING)))
