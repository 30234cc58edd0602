"""``python -m telecare.cli``, the same as the ``telecare`` command."""

import sys

from telecare.cli import main

sys.exit(main())
