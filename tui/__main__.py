"""`python -m tui` is the same as the `warroom` command."""

import sys

from tui.cli import main

sys.exit(main())
