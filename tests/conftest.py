"""pytest-xdist's workers start with COLUMNS=80 and LINES=24 in their environment, and rich fixes
a console's width when COLUMNS is set as the console is made (the CLI's are made at import): the
CLI tests, which set COLUMNS themselves, would then see 80 columns whatever they set. The suite
runs as a serial run does: without them."""

import os

for name in ("COLUMNS", "LINES"):
    os.environ.pop(name, None)
