from thumbnailer.bootstrap import handle

from cloudfn.entry import lambda_entry
from cloudfn.events import objects

handler = lambda_entry(handle, parse=objects.from_aws)
