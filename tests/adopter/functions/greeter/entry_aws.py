from greeter import greet

from cloudfn.entry import lambda_entry
from cloudfn.events import objects

handler = lambda_entry(greet, parse=objects.from_aws)
