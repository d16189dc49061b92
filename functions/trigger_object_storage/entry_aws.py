from trigger_object_storage import on_objects_created

from cloudfn.entry import lambda_entry
from cloudfn.events import objects

handler = lambda_entry(on_objects_created, parse=objects.from_aws)
