from cloudfn.entry import lambda_entry
from cloudfn.events import objects
from thumbnailer.bootstrap import handle

handler = lambda_entry(handle, parse=objects.from_aws)
