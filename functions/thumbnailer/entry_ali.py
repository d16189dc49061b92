from cloudfn.entry import fc_entry
from cloudfn.events import objects
from thumbnailer.bootstrap import handle

handler = fc_entry(handle, parse=objects.from_ali)
