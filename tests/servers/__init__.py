"""Local servers speaking cloud protocols, for driver tests over HTTP."""
