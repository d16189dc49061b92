from output_object_storage import BINDING, make_logic

from cloudfn.drivers.objectstore import from_env
from cloudfn.entry import lambda_entry

handler = lambda_entry(make_logic(lambda: from_env(BINDING)))
