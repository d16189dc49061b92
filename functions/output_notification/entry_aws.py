from output_notification import bootstrap

from cloudfn.bootstrap import warm
from cloudfn.entry import lambda_entry

handler = lambda_entry(warm(bootstrap))
