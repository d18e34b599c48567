"""AppContext: what every route module is given when it installs its routes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..auth import Directory
from ..paths import Location
from ..settings import Settings
from ..store import Store
from ..throttle import LoginThrottle
from .metrics import Metrics

if TYPE_CHECKING:
    from ..services import Services
    from ..sync.service import SyncService


@dataclass
class AppContext:
    """The parts of the running program that handlers may use."""

    settings: Settings
    store: Store
    data: Location
    uploads: Location
    ui_dir: Path
    metrics: Metrics
    #: where users, tokens and sessions are kept (the store, or the sync bucket)
    accounts: Directory
    #: the domain services, built by the composition root (app.build_services)
    services: Services
    #: failed sign-ins per account and address (throttle.py)
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    version: str = __version__
    started: float = field(default_factory=time.time)

    @property
    def mode(self) -> str:
        return self.settings.mode

    @property
    def sync(self) -> SyncService:
        return self.services.sync
