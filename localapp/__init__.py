"""localapp: a local-first project schedule and price catalogue.

The package holds the domain code (plain Python), the store (TinyDB over a
crash-safe journaled storage), the web layer (bottle) and the command line.
Nothing runs at import time; `localapp.app` wires the parts together.
"""

__version__ = "0.1.0"
APP_NAME = "localapp"
