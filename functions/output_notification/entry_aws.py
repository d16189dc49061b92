from output_notification import OutputNotification

from cloudfn.drivers.sqs_sns import SqsSnsMessaging
from cloudfn.entry import lambda_entry

handler = lambda_entry(OutputNotification(SqsSnsMessaging()).run)
