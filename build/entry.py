"""PyInstaller entry point: the `localapp` command, frozen.

The desktop build does not carry its own GTK/WebKitGTK: it uses the
system's (see build/localapp.spec and docs/desktop.md). PyInstaller's GTK
runtime hooks still point GTK at folders inside the bundle that we left
out, so those settings are dropped here, before anything imports gi.
"""

import os
import sys


def _use_system_gtk() -> None:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is None or os.path.isdir(os.path.join(bundle, "gi_typelibs")):
        return
    for name in ("GI_TYPELIB_PATH", "GDK_PIXBUF_MODULE_FILE", "GIO_MODULE_DIR", "GTK_DATA_PREFIX",
                 "GTK_EXE_PREFIX", "GTK_PATH", "PANGO_LIBDIR", "PANGO_SYSCONFDIR"):
        if os.environ.get(name, "").startswith(bundle):
            del os.environ[name]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--localapp-sheet-reader"]:
        # A spreadsheet is read in a child process of the frozen app itself
        # (localapp.sheet_reader.command): calamine can abort on bad files.
        from localapp.sheet_reader import main as read_sheet

        read_sheet(sys.argv[2:])
        sys.exit(0)
    _use_system_gtk()
    from localapp.cli import main

    sys.exit(main())
