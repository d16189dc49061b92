from cloudfn.entry import lambda_entry
from cloudfn.events import objects
from trigger_object_storage import on_objects_created

handler = lambda_entry(on_objects_created, parse=objects.from_aws)
