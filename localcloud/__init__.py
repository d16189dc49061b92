"""The local cloud: run the application offline, as AWS or as Alibaba Cloud, from the program itself.

topology.py reads what the program declares; services.py runs the data plane on 127.0.0.1.
"""
