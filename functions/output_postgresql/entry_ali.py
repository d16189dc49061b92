from output_postgresql import bootstrap

from cloudfn.bootstrap import warm
from cloudfn.entry import fc_entry

# One driver, hence one connection, per warm instance (built on the first invocation).
handler = fc_entry(warm(bootstrap))
