"""Alibaba Cloud backends of the neutral components. Imported only when the stack selects Alibaba."""
