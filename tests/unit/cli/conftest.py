"""rich fixes a console's width when COLUMNS is set as the console is made, and the CLI's are
made when launchdeck.cli.output is first imported: imported here, before any test sets COLUMNS,
they read it afresh each time, whichever test runs first."""

import launchdeck.cli.output  # noqa: F401
