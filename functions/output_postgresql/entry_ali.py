from output_postgresql import bootstrap

from cloudfn.entry import fc_entry

# Module level: one driver, hence one connection, per warm instance.
handler = fc_entry(bootstrap())
