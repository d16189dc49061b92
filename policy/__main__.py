"""The policy pack: ``pulumi preview --policy-pack policy`` runs these against any program."""

import os
import sys

# The engine runs this file with the pack folder as the working directory; make the rules
# importable whatever the interpreter put on sys.path.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from multicloud_invariants import pack

pack()
