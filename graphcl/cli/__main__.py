import sys

from graphcl.cli import main

sys.exit(main())
