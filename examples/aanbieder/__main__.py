"""``python -m examples.aanbieder``: run the example aanbieder."""

import sys

from examples.aanbieder.app import main

sys.exit(main())
