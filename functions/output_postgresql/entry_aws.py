from cloudfn.entry import lambda_entry
from output_postgresql import bootstrap

# Module level: one driver, hence one connection, per warm container.
handler = lambda_entry(bootstrap())
