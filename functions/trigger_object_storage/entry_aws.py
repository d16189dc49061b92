from trigger_object_storage import bootstrap

from cloudfn.bootstrap import warm
from cloudfn.entry import lambda_entry
from cloudfn.events import objects

handler = lambda_entry(warm(bootstrap), parse=objects.from_aws)
