from output_notification import OutputNotification

from cloudfn.drivers.mns import MnsMessaging
from cloudfn.entry import fc_entry

handler = fc_entry(OutputNotification(MnsMessaging()).run)
