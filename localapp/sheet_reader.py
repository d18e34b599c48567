"""Reading one workbook with python-calamine, meant to run in a child process.

calamine is fast, but for some damaged or hostile files it does not raise:
a one-cell xlsx with a cell at XFD1048576 makes it allocate a dense range
of 17 billion cells, and a damaged xls can ask for 500 GB; Rust then aborts
the whole process. An upload must never be able to kill the server, so
imports.py runs `python -m localapp.sheet_reader` for every xlsx/xls: the
file goes in on stdin, the rows come back pickled on stdout, and the child
runs under an address-space limit and a timeout. A crash there is just a
"cannot be read" answer.

`read()` is also called in-process where no child can be started (a frozen
build); the protection is then only what calamine itself does.

This module imports nothing from localapp, so the child starts quickly.
"""

from __future__ import annotations

import io
import pickle
import sys
from typing import Any

#: Address space for the child: a 200,000-row sheet needs well under 1 GiB.
MEMORY_LIMIT = 3 * 1024 * 1024 * 1024

Result = tuple[Any, ...]


def read(data: bytes, max_rows: int) -> Result:
    """("ok", sheet name, (first row, first col), rows) or ("error", kind, detail).

    kind is one of "password", "damaged", "empty", "too_many_rows" (detail:
    the row count). Never raises for a bad file.
    """
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        try:
            for meta in book.sheets_metadata:
                if str(meta.typ).rsplit(".", 1)[-1] != "WorkSheet":
                    continue
                if str(meta.visible).rsplit(".", 1)[-1] != "Visible":
                    continue
                sheet = book.get_sheet_by_name(meta.name)
                if sheet.height > max_rows:
                    return ("error", "too_many_rows", int(sheet.height))
                if sheet.height and sheet.width:
                    start = sheet.start or (0, 0)
                    rows = sheet.to_python(skip_empty_area=True)
                    return ("ok", sheet.name, (int(start[0]), int(start[1])), rows)
            return ("error", "empty", "")
        finally:
            book.close()
    except BaseException as exc:  # calamine's Rust panics are BaseExceptions
        if isinstance(exc, KeyboardInterrupt | SystemExit | MemoryError):
            raise
        kind = "password" if type(exc).__name__ == "PasswordError" else "damaged"
        return ("error", kind, type(exc).__name__)


#: In a frozen build there is no interpreter to run `-m localapp.sheet_reader`
#: with, so the executable itself takes this first argument (build/entry.py).
FROZEN_FLAG = "--localapp-sheet-reader"


def command(max_rows: int) -> list[str]:
    """How to start a reader child, from source or frozen."""
    if getattr(sys, "frozen", False):
        return [sys.executable, FROZEN_FLAG, str(max_rows)]
    return [sys.executable, "-m", "localapp.sheet_reader", str(max_rows)]


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):  # Windows has no rlimits
        pass
    max_rows = int(args[0])
    data = sys.stdin.buffer.read()
    try:
        result = read(data, max_rows)
    except MemoryError:
        result = ("error", "memory", "")
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
