"""The browser UI (HTML, CSS, JS, translations), installed as `localapp.ui`.

This file only makes the folder an importable package so that
`importlib.resources.files("localapp.ui")` finds the files from source, from
an installed wheel and from a frozen build alike.
"""
