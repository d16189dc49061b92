"""Provider-computed outputs for the mock tests, one module per area (loaded by pulumi_harness)."""
