"""Re-export: the FC 3.0 runner now lives in the product, ``localcloud.runtime.fc``."""

from localcloud.runtime.fc import FcResult, FcRuntime, FcRuntimeName

__all__ = ["FcResult", "FcRuntime", "FcRuntimeName"]
