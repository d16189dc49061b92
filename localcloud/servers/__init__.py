"""Alibaba Cloud data-plane servers on 127.0.0.1 (OSS and MNS), speaking the documented protocols."""
