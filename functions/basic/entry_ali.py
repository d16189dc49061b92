from basic import hello

from cloudfn.entry import fc_entry

handler = fc_entry(hello)
