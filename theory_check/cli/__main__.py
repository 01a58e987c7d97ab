import sys

from theory_check.cli import main

sys.exit(main())
