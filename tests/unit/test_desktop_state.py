"""The window's saved state (localapp/desktop.py), on real files.

A size and position saved at close come back at the next start; a damaged
or hand-edited window.json never gives a window nobody can see or use.
"""

from __future__ import annotations

import json
from pathlib import Path

from localapp.desktop import DEFAULT_SIZE, STATE_NAME, WindowState


def test_saved_state_comes_back(tmp_path: Path) -> None:
    WindowState(width=1111, height=777, x=40, y=30, maximized=True, port=45678).save(tmp_path)
    again = WindowState.load(tmp_path)
    assert (again.width, again.height, again.x, again.y) == (1111, 777, 40, 30)
    assert again.maximized is True and again.port == 45678


def test_missing_or_damaged_file_gives_the_defaults(tmp_path: Path) -> None:
    assert (WindowState.load(tmp_path).width, WindowState.load(tmp_path).height) == DEFAULT_SIZE
    for text in ("{not json", "[1, 2]", '"x"', ""):
        (tmp_path / STATE_NAME).write_text(text)
        state = WindowState.load(tmp_path)
        assert (state.width, state.height, state.x, state.port) == (*DEFAULT_SIZE, None, None)


def test_unusable_values_are_replaced(tmp_path: Path) -> None:
    (tmp_path / STATE_NAME).write_text(
        json.dumps(
            {"width": 120, "height": "tall", "x": 99999, "y": 10, "maximized": "yes", "port": 80}
        )
    )
    state = WindowState.load(tmp_path)
    assert (state.width, state.height) == DEFAULT_SIZE  # too small / not a number
    assert state.x is None and state.y is None  # off every screen: let the system place it
    assert state.maximized is False
    assert state.port is None  # a privileged port is never ours
