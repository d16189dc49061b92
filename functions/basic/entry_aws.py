from basic import hello

from cloudfn.entry import lambda_entry

handler = lambda_entry(hello)
