"""The docs are tested: every setting, command and route is documented.

- every env var in `localapp.settings.ENV_VARS` is in docs/configuration.md,
  and every `LOCALAPP_*` name there is a real one;
- every sub-command and every long flag of the `localapp` argparse parser is
  in docs/configuration.md;
- every route registered on the real app (built by `create_app` over a real
  store in a temp dir) is listed in the index in docs/api.md as
  `` `METHOD /rule` `` and has a `### METHOD /rule` section in some docs/*.md
  page (api.md for the core routes, schedule.md and the like for each app);
  every route documented anywhere exists.

A new setting, command or route without docs fails here, and so does a doc
entry for something that was removed.
"""

from __future__ import annotations

import argparse
import contextlib
import re
from collections.abc import Iterator

import bottle
import pytest
from conftest import ROOT

from localapp import cli, paths
from localapp.app import build_services, open_accounts
from localapp.settings import ENV_VARS, Settings
from localapp.store import Store
from localapp.web import create_app

DOCS = ROOT / "docs"
CONFIG_MD = DOCS / "configuration.md"
API_MD = DOCS / "api.md"
#: "### GET /api/login" style headings in docs/*.md: one per route.
ROUTE_HEADING = re.compile(
    r"^#{2,4} `?(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (/\S*?)`?\s*$", re.MULTILINE
)


def _commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """(command path, parser) for the parser and every nested sub-command."""
    yield prefix, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, (*prefix, name))


def _long_flags(parser: argparse.ArgumentParser) -> set[str]:
    return {
        opt
        for action in parser._actions
        for opt in action.option_strings
        if opt.startswith("--") and opt != "--help"
    }


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[bottle.Bottle]:
    data_dir = tmp_path_factory.mktemp("docs-data")
    settings = Settings.from_env({}, data_dir=data_dir)
    data = paths.data_location(data_dir)
    uploads = paths.upload_location(None, data)
    with contextlib.ExitStack() as stack:
        store = Store.open(data.path)
        stack.callback(store.close)
        services = build_services(settings, store, uploads, stack)
        yield create_app(
            settings,
            store,
            services,
            data=data,
            uploads=uploads,
            accounts=open_accounts(settings, store),
        )


def test_every_env_var_is_documented() -> None:
    text = CONFIG_MD.read_text(encoding="utf-8")
    missing = [name for name in ENV_VARS if f"`{name}`" not in text]
    assert not missing, f"env vars missing from docs/configuration.md: {missing}"


def test_no_documented_env_var_is_made_up() -> None:
    text = CONFIG_MD.read_text(encoding="utf-8")
    named = set(re.findall(r"`(LOCALAPP_[A-Z0-9_]+)`", text))
    extra = sorted(named - set(ENV_VARS))
    assert not extra, f"docs/configuration.md names env vars the program never reads: {extra}"


def test_every_cli_command_and_flag_is_documented() -> None:
    text = CONFIG_MD.read_text(encoding="utf-8")
    missing = []
    for path, parser in _commands(cli._parser()):
        command = " ".join(("localapp", *path))
        if path and f"`{command}" not in text:
            missing.append(command)
        missing += [
            f"{command} {flag}" for flag in sorted(_long_flags(parser)) if f"`{flag}" not in text
        ]
    assert not missing, f"missing from docs/configuration.md: {missing}"


def _documented_routes() -> dict[tuple[str, str], list[str]]:
    """Routes with a `### METHOD /rule` heading, and the docs pages holding them."""
    found: dict[tuple[str, str], list[str]] = {}
    for page in sorted(DOCS.glob("*.md")):
        for method, rule in ROUTE_HEADING.findall(page.read_text(encoding="utf-8")):
            found.setdefault((method, rule), []).append(page.name)
    return found


def _registered(app: bottle.Bottle) -> set[tuple[str, str]]:
    registered = {(route.method, route.rule) for route in app.routes}
    assert registered, "create_app registered no routes"
    return registered


def test_every_route_is_listed_in_api_md(app: bottle.Bottle) -> None:
    """docs/api.md is the index: every route appears there as `METHOD /rule`."""
    text = API_MD.read_text(encoding="utf-8")
    missing = sorted(f"{m} {r}" for m, r in _registered(app) if f"`{m} {r}`" not in text)
    assert not missing, f"routes missing from the index in docs/api.md: {missing}"


def test_every_route_has_a_section(app: bottle.Bottle) -> None:
    """Each route is described under its own heading in some docs/*.md page."""
    documented = _documented_routes()
    missing = sorted(f"{m} {r}" for m, r in _registered(app) - set(documented))
    assert not missing, "routes without a '### METHOD /rule' section in docs/*.md: " + ", ".join(
        missing
    )


def test_no_documented_route_is_made_up(app: bottle.Bottle) -> None:
    registered = _registered(app)
    extra = sorted(
        f"{m} {r} ({', '.join(pages)})"
        for (m, r), pages in _documented_routes().items()
        if (m, r) not in registered
    )
    assert not extra, f"docs describe routes the app does not have: {extra}"
    index = set(
        re.findall(
            r"`(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (/[^`\s]*)`",
            API_MD.read_text(encoding="utf-8"),
        )
    )
    stale = sorted(f"{m} {r}" for m, r in index - registered)
    assert not stale, f"docs/api.md lists routes the app does not have: {stale}"


def test_docs_links_resolve() -> None:
    """Relative links between README.md and docs/ point at files that exist."""
    broken: set[str] = set()
    for page in [ROOT / "README.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text("utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).exists():
                broken.add(f"{page.relative_to(ROOT)} -> {target}")
    assert not broken, f"broken links: {sorted(broken)}"


def test_readme_shows_the_two_setup_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in ("bash build/run-app.sh", "bash build/run-tests.sh"):
        assert command in text, f"README.md must show `{command}`"
    for script in ("build/run-app.sh", "build/run-tests.sh", ".ci/run"):
        assert (ROOT / script).is_file(), f"{script} is missing"
