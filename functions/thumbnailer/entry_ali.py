from thumbnailer.bootstrap import handle

from cloudfn.entry import fc_entry
from cloudfn.events import objects

handler = fc_entry(handle, parse=objects.from_ali)
