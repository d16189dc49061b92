from output_postgresql import bootstrap

from cloudfn.entry import lambda_entry

# Module level: one driver, hence one connection, per warm container.
handler = lambda_entry(bootstrap())
