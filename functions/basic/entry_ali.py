from basic import bootstrap

from cloudfn.bootstrap import warm
from cloudfn.entry import fc_entry

handler = fc_entry(warm(bootstrap))
