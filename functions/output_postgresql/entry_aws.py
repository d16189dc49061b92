from output_postgresql import bootstrap

from cloudfn.bootstrap import warm
from cloudfn.entry import lambda_entry

# One driver, hence one connection, per warm instance (built on the first invocation).
handler = lambda_entry(warm(bootstrap))
