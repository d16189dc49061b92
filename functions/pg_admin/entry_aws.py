from pg_admin import bootstrap, parse

from cloudfn.bootstrap import warm
from cloudfn.entry import lambda_entry

# Invoked by aws.lambda_.Invocation at deploy time; an exception fails the deploy.
handler = lambda_entry(warm(bootstrap), parse)
