"""geo: hub siting for Korea's manufacturing-innovation network.

Stages (one module each): regions → indicators → network → scoring → siting → maps → report.
"""

__version__ = "0.1.0"
