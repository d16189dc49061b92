from cloudfn.entry import fc_entry
from output_postgresql import bootstrap

# Module level: one driver, hence one connection, per warm instance.
handler = fc_entry(bootstrap())
