"""The hand-checker of the tests: ``generator.audit.arithmetic`` under its old name.

It reads only rendered text and imports nothing else from ``generator`` (an architecture test
keeps it so): an independent second opinion on the numbers the engine computed, and the
arithmetic check of ``dryrun audit``."""

import sys

from generator.audit import arithmetic

sys.modules[__name__] = arithmetic
